using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Tests.Schema;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Model;

/// <summary>
/// The row an event recorded through the public API leaves in each database, read back with plain ADO.NET
/// (<c>SELECT *</c>): column, database type and raw value. A change to the mapping, to the JSON parts or to how a
/// provider stores a type shows up here as a reviewed diff.
/// </summary>
public sealed class StoredRowShapeTests
{
    private static readonly string[] JsonColumns = ["related_resources", "changes", "context", "metadata"];

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Snapshot text for people to read: no \u0022-style escapes of quotes and brackets.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_stored_row_of_a_recorded_event_has_this_shape(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "row_shape");
        await using (var host = await StoreTestHost.StartAsync((_, log) =>
            log.AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true)))
        {
            host.Recorder.Record(
                "activity_log.webhook.updated",
                resource: new ActivityResource("webhook", "wh_42", "Logging"),
                changes:
                [
                    // Longer key first: jsonb keeps object keys sorted by length, then bytes, not in the order written.
                    ActivityChange.Of("signing_secret", "whsec_old", "whsec_new"),
                    ActivityChange.Of("url", "https://old.example.com/hook", "https://new.example.com/hook"),
                ],
                actor: ActivityActor.User(783, "Jane Doe"),
                related: [new ActivityResource("sending_stream", 7, "Transactional")],
                accountId: "acct_1",
                context: new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0", AuthMethod = "GitHub", CorrelationId = "req-123" },
                metadata: new Dictionary<string, object?> { ["plan"] = "pro", ["seats"] = 5, ["api_token"] = "tok_abc" });
            await host.Dispatcher.FlushAsync();
        }

        var row = await ReadSingleRowAsync(database);

        // The secrets are masked before the row is written: the redactor runs before any sink.
        row.ToJsonString().Should().NotContain("whsec_").And.NotContain("tok_abc");
        SnapshotAssert.Matches(row.ToJsonString(Indented), $"stored-row.{provider}");
    }

    /// <summary>
    /// The one row as column → {type, value}, in table order; the id (random per run) is scrubbed, the time is the
    /// fake clock's. The JSON columns' text is parsed, so the snapshot shows their structure and key order as stored.
    /// </summary>
    private static async Task<JsonObject> ReadSingleRowAsync(TestDatabase database)
    {
        await using var connection = DatabaseCatalog.Connect(database.Provider, database.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM activity_events";
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue("the recorded event is stored");
        var row = new JsonObject();
        for (int i = 0; i < reader.FieldCount; i++)
        {
            string column = reader.GetName(i);
            row[column] = new JsonObject
            {
                ["type"] = reader.GetDataTypeName(i),
                ["value"] = column == "id" ? "<id>"
                    : JsonColumns.Contains(column) && reader.GetValue(i) is string json ? JsonNode.Parse(json)
                    : ToJson(reader.GetValue(i)),
            };
        }

        (await reader.ReadAsync()).Should().BeFalse("one event makes one row");
        return row;
    }

    private static JsonNode? ToJson(object value) => value switch
    {
        DBNull => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        short s => JsonValue.Create(s),
        DateTime d => JsonValue.Create($"{d.ToString("O", CultureInfo.InvariantCulture)} ({d.Kind})"),
        DateTimeOffset d => JsonValue.Create(d.ToString("O", CultureInfo.InvariantCulture)),
        _ => JsonValue.Create($"{value} ({value.GetType().Name})"),
    };
}
