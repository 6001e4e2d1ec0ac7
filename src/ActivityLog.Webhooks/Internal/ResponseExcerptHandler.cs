using System.Net.Http.Headers;

namespace ActivityLog.Webhooks.Internal;

/// <summary>
/// Reads at most <c>limit</c> bytes of a non-2xx response body before the response leaves the handler pipeline, and
/// replaces the body with that excerpt. It sits inside the resilience handler's timeout, so the one attempt deadline
/// covers the body too: a receiver that answers 500 and then stalls its body ends the attempt as a timeout.
/// </summary>
internal sealed class ResponseExcerptHandler(int limit) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response; // 2xx bodies are never read; disposing the response releases the connection
        }

        try
        {
            byte[] excerpt = limit <= 0 ? [] : await ReadExcerptAsync(response.Content, cancellationToken).ConfigureAwait(false);
            var original = response.Content;
            MediaTypeHeaderValue? contentType = original.Headers.ContentType;
            response.Content = new ByteArrayContent(excerpt);
            response.Content.Headers.ContentType = contentType;
            original.Dispose(); // drops the rest of the body with the connection: a hostile receiver cannot make us buffer more
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<byte[]> ReadExcerptAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = new byte[limit];
        int read;
        try
        {
            using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            read = await stream.ReadAtLeastAsync(buffer, limit, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            // The body only decorates the failure reason: a broken one must not change the outcome. A cancellation
            // (the attempt's deadline, or the host stopping) is not caught: it ends the attempt.
            return [];
        }

        return read == limit ? buffer : buffer[..read];
    }
}
