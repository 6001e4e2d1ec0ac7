using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ActivityLog.AspNetCore.Internal;
using ActivityLog.AspNetCore.Page;
using ActivityLog.Formatting;
using ActivityLog.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// The request handlers behind <c>MapActivityLog</c>: the page, the JSON page and the exports. Each one reads the
/// account from the caller's identity (never from the query string) and refuses a caller without one.
/// </summary>
internal sealed partial class ActivityLogEndpointHandlers(ActivityLogEndpointOptions options, string pattern) : IDisposable
{
    // Flush the export to the client whenever this much is written: memory stays bounded whatever the row count.
    private const int ExportFlushBytes = 16 * 1024;

    private readonly ActivityJsonFields _jsonFields = options.JsonFields | ActivityJsonFields.Id;

    private readonly ViewRecorder _views = new(options);

    // The filter choices cost a scan of the account's index entries (a GROUP BY per list); the page reuses them for a
    // short while, so a new actor appears in the list within FacetLifetime. Bounded by entries, one per account.
    private static readonly TimeSpan FacetLifetime = TimeSpan.FromSeconds(30);
    private readonly MemoryCache _facets = new(new MemoryCacheOptions { SizeLimit = 1_000 });

    // The same encoder as the webhook payload, so the API and the exports escape text exactly as deliveries do.
    private readonly JsonWriterOptions _writerOptions = new()
    {
        Encoder = ActivityJsonSerializer.GetOptions(options.JsonFields | ActivityJsonFields.Id).Encoder,
    };

    public async Task PageAsync(HttpContext context)
    {
        if (await RequireCallerAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var filters = PageFilterState.Read(context.Request.Query);
        IReadOnlyList<ActivityLogEvent> events = [];
        string? nextCursor = null;
        string? error = null;
        string? cursor = null;
        try
        {
            cursor = ActivityLogRequestFilters.Single(context.Request.Query, "cursor");
            var query = filters.ToQuery(caller.AccountId, caller.Now, options.PageSize, cursor);
            var page = await caller.Reader.ReadPageAsync(query, context.RequestAborted).ConfigureAwait(false);
            events = page.Events;
            nextCursor = page.NextCursor;
        }
        catch (ArgumentException exception)
        {
            error = StripParameterSuffix(exception);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        var facets = await FacetsAsync(caller, context.RequestAborted).ConfigureAwait(false);
        if (error is null && cursor is null)
        {
            _views.Viewed(context, caller.AccountId, "page", filters.ToMetadata());
        }

        string nonce = PageLayout.NewNonce();
        var model = new ActivityLogPageRenderer.Model(
            options.Title, BasePath(context), filters, facets, events, nextCursor, error, caller.Formatter, caller.Culture);
        await PageLayout.WriteAsync(context, ActivityLogPageRenderer.Render(model, nonce), nonce).ConfigureAwait(false);
    }

    public async Task EventsAsync(HttpContext context)
    {
        if (await RequireCallerAsync(context, html: false).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        ActivityLogPage page;
        try
        {
            var query = ActivityLogRequestFilters.FromApi(caller.AccountId, context.Request.Query, options.PageSize);
            page = await caller.Reader.ReadPageAsync(query, context.RequestAborted).ConfigureAwait(false);
            if (query.Cursor is null)
            {
                _views.Viewed(context, caller.AccountId, "api", ApiMetadata(context.Request.Query));
            }
        }
        catch (ArgumentException exception)
        {
            await BadRequestAsync(context, exception).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        var body = context.Response.BodyWriter;
        var writer = new Utf8JsonWriter(body, _writerOptions);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var activity in page.Events)
            {
                ActivityJsonSerializer.Write(writer, activity, _jsonFields);
            }

            writer.WriteEndArray();
            writer.WriteString("next_cursor", page.NextCursor);
            writer.WriteEndObject();
        }

        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public async Task ExportAsync(HttpContext context)
    {
        if (await RequireCallerAsync(context, html: false).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        string format = context.Request.Query["format"].FirstOrDefault()?.ToLowerInvariant() ?? "jsonl";
        if (format is not ("jsonl" or "csv"))
        {
            await BadRequestAsync(context, new ArgumentException("The query parameter 'format' must be 'jsonl' or 'csv'.")).ConfigureAwait(false);
            return;
        }

        // The first page is read before the export is recorded: the export's own record reaches the store behind the
        // queue within the batch delay, and a first query that ran later would list it (newest first) as the first row.
        IAsyncEnumerator<ActivityLogEvent>? firstPage = null;
        bool any;
        try
        {
            var query = ActivityLogRequestFilters.FromApi(caller.AccountId, context.Request.Query, options.PageSize);
            firstPage = caller.Reader.ReadAllAsync(query, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);
            any = await firstPage.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            if (firstPage is not null)
            {
                await firstPage.DisposeAsync().ConfigureAwait(false);
            }

            if (exception is not ArgumentException argument)
            {
                throw;
            }

            await BadRequestAsync(context, argument).ConfigureAwait(false);
            return;
        }

        var events = Started(firstPage, any);

        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        string stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        context.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8";
        context.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment")
        {
            FileName = $"activity-log-{stamp}.{format}",
        }.ToString();

        // Recorded before the first byte leaves: an export cut short is still a copy that (partly) left.
        _views.Exported(context, caller.AccountId, format, ApiMetadata(context.Request.Query));
        long rows = format == "csv"
            ? await WriteCsvAsync(context, events, caller.Formatter).ConfigureAwait(false)
            : await WriteJsonLinesAsync(context, events).ConfigureAwait(false);
        AspNetCoreLog.Exported(Logger(context), rows, format);
    }

    /// <summary>The rows of an enumeration whose first step was taken (<paramref name="any"/> its result); disposes it.</summary>
    private static async IAsyncEnumerable<ActivityLogEvent> Started(IAsyncEnumerator<ActivityLogEvent> rows, bool any)
    {
        await using (rows.ConfigureAwait(false))
        {
            if (!any)
            {
                yield break;
            }

            do
            {
                yield return rows.Current;
            }
            while (await rows.MoveNextAsync().ConfigureAwait(false));
        }
    }

    private async Task<long> WriteJsonLinesAsync(HttpContext context, IAsyncEnumerable<ActivityLogEvent> events)
    {
        var body = context.Response.BodyWriter;
        var writer = new Utf8JsonWriter(body, _writerOptions);
        await using var writerScope = writer.ConfigureAwait(false);
        return await WriteRowsAsync(context, events, pending: 0, activity =>
        {
            ActivityJsonSerializer.Write(writer, activity, _jsonFields);
            writer.Flush();
            long written = writer.BytesCommitted;
            writer.Reset();
            body.Write("\n"u8);
            return written + 1;
        }).ConfigureAwait(false);
    }

    private static Task<long> WriteCsvAsync(HttpContext context, IAsyncEnumerable<ActivityLogEvent> events, ActivityDescriptionFormatter formatter)
    {
        var body = context.Response.BodyWriter;
        long header = Encoding.UTF8.GetBytes(ActivityLogCsv.Header, body);
        var line = new StringBuilder(512);
        return WriteRowsAsync(context, events, header, activity =>
        {
            line.Clear();
            ActivityLogCsv.AppendRow(line, activity, formatter);
            long written = 0;
            foreach (var chunk in line.GetChunks())
            {
                written += Encoding.UTF8.GetBytes(chunk.Span, body);
            }

            return written;
        });
    }

    /// <summary>
    /// Writes one row per event with <paramref name="writeRow"/> (which returns the bytes it wrote), flushing to the
    /// client every <see cref="ExportFlushBytes"/> and at the end; returns the row count.
    /// </summary>
    private static async Task<long> WriteRowsAsync(HttpContext context, IAsyncEnumerable<ActivityLogEvent> events, long pending, Func<ActivityLogEvent, long> writeRow)
    {
        var body = context.Response.BodyWriter;
        long rows = 0;
        await foreach (var activity in events.ConfigureAwait(false))
        {
            pending += writeRow(activity);
            rows++;
            if (pending >= ExportFlushBytes)
            {
                pending = 0;
                await FlushAsync(body, context).ConfigureAwait(false);
            }
        }

        await FlushAsync(body, context).ConfigureAwait(false);
        return rows;
    }

    private static async Task FlushAsync(PipeWriter body, HttpContext context)
    {
        var result = await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        if (result.IsCanceled || result.IsCompleted)
        {
            // The client went away: stop reading the store.
            context.RequestAborted.ThrowIfCancellationRequested();
            throw new OperationCanceledException("The client stopped reading the export.");
        }
    }

    /// <summary>
    /// The caller's account and the services the handlers need, or <see langword="null"/> after answering 401/403.
    /// The authorization policy already ran; this is the second line: never serve an anonymous or account-less caller.
    /// </summary>
    private async Task<Caller?> RequireCallerAsync(HttpContext context, bool html)
    {
        if (await CallerAccount.RequireAsync(context, html, "MapActivityLog", "there is no activity log to show").ConfigureAwait(false) is not { } account)
        {
            return null;
        }

        var services = context.RequestServices;
        var logReader = services.GetService<IActivityLogReader>() ?? throw new InvalidOperationException(
            "MapActivityLog needs an IActivityLogReader: add a store that reads, such as AddActivityLog().AddEntityFrameworkStore(…).");
        var core = services.GetRequiredService<IOptions<ActivityLogOptions>>().Value;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        return new Caller(
            account,
            logReader,
            services.GetRequiredService<ActivityDescriptionFormatter>(),
            PageCulture.For(options, core.Descriptions),
            core.Redaction.Mask,
            time.GetUtcNow());
    }

    /// <summary>
    /// The account's filter choices (cached for <see cref="FacetLifetime"/>), or <see langword="null"/> when the reader
    /// lists none (the page then offers typed filters).
    /// </summary>
    private async Task<ActivityLogFacets?> FacetsAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (_facets.TryGetValue(caller.AccountId, out ActivityLogFacets? cached))
        {
            return cached;
        }

        ActivityLogFacets? facets;
        try
        {
            facets = await caller.Reader.ReadFacetsAsync(caller.AccountId, ActivityLogFacets.DefaultLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (NotSupportedException)
        {
            facets = null;
        }

        _facets.Set(caller.AccountId, facets, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = FacetLifetime });
        return facets;
    }

    /// <summary>
    /// The API's and export's filters as a viewing event records them: the parameters <see cref="ActivityLogRequestFilters.FromApi"/>
    /// reads, nothing else from the query string (the cursor and page size left out).
    /// </summary>
    private static Dictionary<string, object?> ApiMetadata(IQueryCollection query)
    {
        var metadata = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (string key in ActivityLogRequestFilters.ApiFilterNames)
        {
            if (query.TryGetValue(key, out var values) && !string.IsNullOrWhiteSpace(values.ToString()))
            {
                metadata[key] = values.ToString();
            }
        }

        return metadata;
    }

    /// <summary>The page's path as the browser sees it (the group's pattern under the request's path base).</summary>
    private string BasePath(HttpContext context) => context.Request.PathBase.Add(new PathString("/" + pattern.Trim('/'))).Value!;

    public void Dispose()
    {
        _views.Dispose();
        _facets.Dispose();
    }

    private static Task BadRequestAsync(HttpContext context, ArgumentException exception) =>
        TypedResults.Problem(
            detail: StripParameterSuffix(exception),
            statusCode: StatusCodes.Status400BadRequest,
            title: "The query is not valid.").ExecuteAsync(context);

    // ArgumentException.Message appends " (Parameter 'x')"; the detail reads better without it.
    internal static string StripParameterSuffix(ArgumentException exception) =>
        exception.ParamName is { } name && exception.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? exception.Message[..^$" (Parameter '{name}')".Length]
            : exception.Message;

    // Only the refusal and the export log: the page and the JSON API do not look the logger up.
    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ActivityLog.AspNetCore");

    private sealed record Caller(
        string AccountId, IActivityLogReader Reader, ActivityDescriptionFormatter Formatter, PageCulture Culture, string Mask, DateTimeOffset Now);
}
