using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Search;

/// <summary>Which full-text index serves <see cref="ActivityLogQuery.Search"/> on a context.</summary>
internal enum SearchIndexKind
{
    /// <summary>None: a case-insensitive substring match per word over <c>search_text</c>, a scan of the account's rows.</summary>
    None = 0,

    /// <summary>SQLite: the FTS5 table <c>&lt;table&gt;_search</c> over <c>search_text</c>.</summary>
    Fts5,

    /// <summary>PostgreSQL: the generated <c>search_vector</c> column and its GIN index.</summary>
    TsVector,
}

/// <summary>
/// Everything provider-specific about search in one place: the model's <c>tsvector</c> column on PostgreSQL, the FTS5
/// table and its triggers on SQLite, how a query reaches either, and which one a context has.
/// </summary>
/// <remarks>
/// Both indexes are reached with raw SQL composed under LINQ (<c>FromSqlRaw</c>): the generic package does not reference
/// the providers, and neither <c>@@</c> nor <c>MATCH</c> has a provider-neutral LINQ form. Only the search predicate is
/// raw; the account, the other filters, the keyset and the order stay LINQ, so search pages like every other query.
/// Thread-safe singleton.
/// </remarks>
internal sealed class ActivityLogSearchIndex(ILogger<ActivityLogSearchIndex> logger)
{
    /// <summary>The shadow property of the generated <c>tsvector</c> column (PostgreSQL only).</summary>
    public const string SearchVectorProperty = "SearchVector";

    /// <summary>
    /// PostgreSQL's text search configuration: <c>simple</c> lower-cases and keeps every word as written, with no
    /// stemming and no stop words, so a tenant writing in any language finds exactly the words it typed (an English
    /// configuration would drop "a", "on", "to" and fold "Logging" into "log").
    /// </summary>
    public const string TextSearchConfig = "simple";

    private readonly ConditionalWeakTable<IModel, object> _found = [];
    private int _warned;

    /// <summary>
    /// The <c>tsvector</c> expression of the generated column: the words of <c>search_text</c>, with ASCII punctuation
    /// read as space first so that an email address or <c>user_name</c> is also found by its parts (PostgreSQL's parser
    /// would keep <c>jane@example.com</c> as one word), as the reader's own tokenizer splits what people type.
    /// </summary>
    public static string TsVectorSql(string searchTextColumn) =>
        $"to_tsvector('{TextSearchConfig}'::regconfig, regexp_replace(coalesce({searchTextColumn}, ''), '[[:space:][:punct:]]+', ' ', 'g'))";

    /// <summary>The FTS5 table's name for an activity log table.</summary>
    public static string Fts5Table(string table) => table + "_search";

    /// <summary>
    /// The statements that create the FTS5 table over <paramref name="table"/> (external content: it holds the index,
    /// not a second copy of the text), the triggers that keep it in step with inserts, deletes and updates, and a
    /// rebuild that indexes the rows already there. The tokenizer splits words as the reader does (letters, digits and
    /// marks; no diacritics removed, as PostgreSQL's <c>simple</c>).
    /// </summary>
    public static IReadOnlyList<string> Fts5CreateSql(ISqlGenerationHelper sql, string table, string searchTextColumn)
    {
        string t = sql.DelimitIdentifier(table);
        string f = sql.DelimitIdentifier(Fts5Table(table));
        string c = sql.DelimitIdentifier(searchTextColumn);
        string content = table.Replace("'", "''", StringComparison.Ordinal);
        string trigger = Fts5Table(table);
        return
        [
            $"CREATE VIRTUAL TABLE {f} USING fts5({c}, content='{content}', content_rowid='rowid', tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* Co M*'\")",
            $"CREATE TRIGGER {sql.DelimitIdentifier(trigger + "_insert")} AFTER INSERT ON {t} BEGIN " +
                $"INSERT INTO {f}(rowid, {c}) VALUES (new.rowid, new.{c}); END",
            $"CREATE TRIGGER {sql.DelimitIdentifier(trigger + "_delete")} AFTER DELETE ON {t} BEGIN " +
                $"INSERT INTO {f}({f}, rowid, {c}) VALUES ('delete', old.rowid, old.{c}); END",
            $"CREATE TRIGGER {sql.DelimitIdentifier(trigger + "_update")} AFTER UPDATE OF {c} ON {t} BEGIN " +
                $"INSERT INTO {f}({f}, rowid, {c}) VALUES ('delete', old.rowid, old.{c}); " +
                $"INSERT INTO {f}(rowid, {c}) VALUES (new.rowid, new.{c}); END",
            $"INSERT INTO {f}({f}) VALUES ('rebuild')",
        ];
    }

    /// <summary>Whether the FTS5 table exists (SQLite).</summary>
    public static async Task<bool> Fts5ExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "$name";
            parameter.Value = Fts5Table(table);
            command.Parameters.Add(parameter);
            object? count = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
    }

    /// <summary>
    /// The index the context's database has: the <c>tsvector</c> column when the model maps it; the FTS5 table when it
    /// exists (looked up until found, then remembered per model); else none, which is logged once.
    /// </summary>
    public async ValueTask<SearchIndexKind> FindAsync(DbContext context, CancellationToken cancellationToken)
    {
        var model = context.Model;
        if (_found.TryGetValue(model, out var known))
        {
            return (SearchIndexKind)known;
        }

        var entity = model.FindEntityType(typeof(StoredActivityLogEvent))!;
        var kind = SearchIndexKind.None;
        if (entity.FindProperty(SearchVectorProperty) is not null)
        {
            kind = SearchIndexKind.TsVector;
        }
        else if (Schema.SchemaCatalog.IsSqlite(context.Database.ProviderName) && entity.GetTableName() is { } table)
        {
            var connection = context.Database.GetDbConnection();
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                kind = await Fts5ExistsAsync(connection, table, cancellationToken).ConfigureAwait(false) ? SearchIndexKind.Fts5 : SearchIndexKind.None;
            }
            finally
            {
                await context.Database.CloseConnectionAsync().ConfigureAwait(false);
            }
        }

        if (kind != SearchIndexKind.None)
        {
            _found.AddOrUpdate(model, kind);
        }
        else if (Interlocked.Exchange(ref _warned, 1) == 0)
        {
            SearchLog.Unindexed(logger, entity.GetTableName() ?? "?", context.Database.ProviderName ?? "an unknown provider");
        }

        return kind;
    }

    /// <summary>The rows whose search text matches every word, through the index; <see langword="null"/> for <see cref="SearchIndexKind.None"/>.</summary>
    public static IQueryable<StoredActivityLogEvent>? Matching(DbContext context, SearchIndexKind kind, ActivityLogSearchTerms terms)
    {
        if (kind == SearchIndexKind.None)
        {
            return null;
        }

        var entity = context.Model.FindEntityType(typeof(StoredActivityLogEvent))!;
        string table = entity.GetTableName()!;
        var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
        var sql = context.GetService<ISqlGenerationHelper>();
        string from = sql.DelimitIdentifier(table, entity.GetSchema());
        string text;
        object parameter;
        if (kind == SearchIndexKind.TsVector)
        {
            string vector = sql.DelimitIdentifier(entity.FindProperty(SearchVectorProperty)!.GetColumnName(store)!);
            text = $"SELECT * FROM {from} WHERE {vector} @@ to_tsquery('{TextSearchConfig}', {{0}})";
            parameter = terms.ToTsQuery();
        }
        else
        {
            string fts = sql.DelimitIdentifier(Fts5Table(table));
            text = $"SELECT * FROM {from} WHERE rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {{0}})";
            parameter = terms.ToFts5Query();
        }

        return context.Set<StoredActivityLogEvent>().FromSqlRaw(text, parameter);
    }
}
