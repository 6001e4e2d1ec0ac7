using System.Globalization;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing.Postgres;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The PostgreSQL databases the reader benchmarks read, on the test server (127.0.0.1:5432): created and seeded by
/// binary COPY once, then kept between runs. A marker table records what was seeded; a database without the expected
/// marker is dropped and seeded again (drop one by hand to reseed: <c>DROP DATABASE name WITH (FORCE)</c>).
/// </summary>
internal static class BenchmarkDatabase
{
    /// <summary>
    /// The data sets' "now": every seeded event is older, within <see cref="Span"/>. Fixed rather than the seed's own
    /// clock, so that a database kept for weeks still has a last week (benchmarks ask for "the last 7 days" before it).
    /// </summary>
    public static readonly DateTimeOffset End = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How far back the events go: a quarter, so that a week holds about 8% of an account's events.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromDays(90);

    /// <summary>The account holding 100,000 events of the reader's database.</summary>
    public const string LargeAccount = "acct-000";

    /// <summary>The busiest actor of every account (5% of its events, as an admin or an integration would be).</summary>
    public const int BusiestActor = 0;

    /// <summary>The resource whose history <see cref="Events"/> seeds in <see cref="LargeAccount"/>: created, then 1,000 updates.</summary>
    public const string HistoryOrder = "ord-1";

    /// <summary>A word of few descriptions (0.3% of events): about 300 in the large account.</summary>
    public const string RareWord = "chargeback";

    /// <summary>A word of about 45% of the events' descriptions.</summary>
    public const string CommonWord = "updated";

    /// <summary>The columns COPY writes (all but the generated <c>search_vector</c>), in the reader's database order.</summary>
    public const string Columns =
        "id, account_id, name, description, occurred_at, actor_type, actor_id, actor_id_is_number, actor_name, " +
        "resource_type, resource_id, resource_name, related_resources, changes, context, metadata, search_text";

    private static readonly string[] FirstNames =
    [
        "Maria", "John", "Aisha", "Chen", "Lena", "Pedro", "Fatima", "Oliver", "Yuki", "Noah", "Ingrid", "Kwame", "Sofia", "Ivan",
        "Priya", "Lucas", "Hana", "Omar", "Elena", "Tomas", "Amara", "Felix", "Nadia", "Jonas", "Leila", "Mateo", "Sara", "Ravi",
        "Clara", "Diego", "Mina", "Anton", "Zara", "Emil", "Rosa", "Kenji", "Alma", "Hugo", "Vera", "Samir",
    ];

    private static readonly string[] LastNames =
    [
        "Keller", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Brennan", "Haddad", "Kowalski", "Ferreira", "Jensen",
        "Duarte", "Nakamura", "Petrov", "Quinn", "Rahman", "Schulz", "Varga", "Whitfield", "Abara", "Bauer", "Castillo", "Dahl",
        "Eriksen", "Fontaine", "Gallo", "Horvat", "Ito", "Jovanovic", "Kaur", "Lopez", "Meyer", "Nilsen", "Ortega", "Park",
        "Rossi", "Stein", "Torres", "Weber",
    ];

    private static readonly string[] Webhooks = ["Logging", "Billing", "Slack alerts", "CRM sync", "Data warehouse", "Fraud review"];
    private static readonly string[] Statuses = ["pending", "paid", "packed", "shipped", "delivered", "cancelled"];
    private static readonly string[] Methods = ["password", "passkey", "single sign-on"];
    private static readonly string[] Roles = ["viewer", "editor", "billing manager", "administrator"];

    /// <summary>Creates and seeds the database unless its marker says it holds what <paramref name="marker"/> describes.</summary>
    /// <returns>A pooled connection string to it.</returns>
    public static async Task<string> EnsureSeededAsync(string database, string marker, Func<int, string> accountOf, int count)
    {
        string admin = PostgresServer.Main.ConnectionString;
        string connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database, Pooling = true }.ConnectionString;
        await using (var adminConnection = new NpgsqlConnection(admin))
        {
            await adminConnection.OpenAsync();
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", adminConnection)
            {
                Parameters = { new NpgsqlParameter<string> { TypedValue = database } },
            };
            if (await exists.ExecuteScalarAsync() is not null)
            {
                // Unpooled: a pooled connection would outlive the DROP below and fail the next command.
                string unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
                if (await ReadMarkerAsync(unpooled) == marker)
                {
                    Console.WriteLine($"// {database} is already seeded ({marker}).");
                    return connectionString;
                }

                await using var drop = new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", adminConnection);
                await drop.ExecuteNonQueryAsync();
            }

            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", adminConnection);
            await create.ExecuteNonQueryAsync();
        }

        var started = DateTime.UtcNow;
        var options = new DbContextOptionsBuilder<ActivityLogDbContext>().UseNpgsql(connectionString).Options;
        await using (var context = new ActivityLogDbContext(options))
        {
            await context.Database.EnsureCreatedAsync();
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var writer = await connection.BeginBinaryImportAsync($"COPY activity_events ({Columns}) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in Events(count, accountOf))
            {
                await WriteAsync(writer, row);
            }

            await writer.CompleteAsync();
        }

        await ExecuteAsync(connection, "VACUUM ANALYZE activity_events");
        await ExecuteAsync(connection, "CREATE TABLE bench_seed (marker text NOT NULL)");
        await using (var insert = new NpgsqlCommand("INSERT INTO bench_seed VALUES ($1)", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = marker });
            await insert.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"// Seeded {database} in {DateTime.UtcNow - started}.");
        return connectionString;
    }

    /// <summary>
    /// Audit-shaped events, oldest first, evenly over <see cref="Span"/> before <see cref="End"/>, built as the store
    /// builds its rows (<see cref="StoredActivityLogEvent.FromActivityLogEvent(ActivityLogEvent)"/>, so the search text is
    /// the store's): 200 actors per account (one of them does 5% of the account's work), sign-ins, user, order, invoice,
    /// webhook and domain changes with varied words, a request context on half. In <see cref="LargeAccount"/>, its first
    /// event creates <see cref="HistoryOrder"/> and every hundredth after updates it (1,000 updates of 2–5 fields).
    /// </summary>
    public static IEnumerable<StoredActivityLogEvent> Events(int count, Func<int, string> accountOf)
    {
        var random = new Random(20261207);
        var start = End - Span;
        long step = Span.Ticks / count;
        int large = 0;
        for (int i = 0; i < count; i++)
        {
            var at = start.AddTicks(step * i);
            string account = accountOf(i);
            int accountNumber = int.Parse(account.AsSpan(account.LastIndexOf('-') + 1), NumberStyles.Integer, CultureInfo.InvariantCulture);
            int actorIndex = random.NextDouble() < 0.05 ? BusiestActor : random.Next(200);
            var actor = actorIndex < 190
                ? ActivityActor.User(UserId(accountNumber, actorIndex), PersonName(accountNumber, actorIndex))
                : new ActivityActor("api_token", $"tok_{accountNumber}_{actorIndex}", $"{Webhooks[actorIndex % Webhooks.Length]} integration");
            int k = account == LargeAccount ? large++ : -1;
            var activity = k == 0 || k % 100 == 50 ? OrderHistory(k, actor, random) : Ordinary(at, actor, accountNumber, random);

            var row = StoredActivityLogEvent.FromActivityLogEvent(new ActivityLogEvent
            {
                Id = Guid.CreateVersion7(at),
                Name = activity.Name,
                Description = activity.Description,
                Actor = actor,
                Resource = activity.Resource,
                Changes = activity.Changes,
                Timestamp = at,
                AccountId = account,
            });
            if (i % 2 == 0)
            {
                row.Context = $$"""{"ip_address": "10.0.{{i % 256}}.{{actorIndex}}", "auth_method": "{{Methods[actorIndex % 3]}}"}""";
            }

            yield return row;
        }
    }

    /// <summary>The numeric id of an account's user.</summary>
    public static long UserId(int accountNumber, int actorIndex) => (accountNumber * 1000L) + 100 + actorIndex;

    private static string PersonName(int accountNumber, int index) =>
        $"{FirstNames[index % FirstNames.Length]} {LastNames[((index * 7) + accountNumber + (index / FirstNames.Length)) % LastNames.Length]}";

    private static ActivityLogEvent OrderHistory(int k, ActivityActor actor, Random random)
    {
        var order = new ActivityResource("order", HistoryOrder, "Order 1");
        if (k == 0)
        {
            return new ActivityLogEvent
            {
                Name = "activity_log.order.created",
                Description = "created the order Order 1",
                Resource = order,
                Changes =
                [
                    new("status", null, "pending"), new("total", null, 120.5m), new("currency", null, "EUR"), new("items", null, 3),
                    new("customer_email", null, "[FILTERED]"), new("shipping_city", null, "Lisbon"), new("carrier", null, "DHL"),
                    new("note", null, "leave at the door"),
                ],
            };
        }

        string[] fields = ["status", "total", "items", "shipping_city", "carrier", "note"];
        int changed = random.Next(2, 6);
        var changes = new List<ActivityChange>(changed);
        foreach (string field in fields.OrderBy(_ => random.Next()).Take(changed))
        {
            changes.Add(field switch
            {
                "status" => new(field, Statuses[random.Next(Statuses.Length)], Statuses[random.Next(Statuses.Length)]),
                "total" => new(field, random.Next(10, 900) + 0.5m, random.Next(10, 900) + 0.25m),
                "items" => new(field, random.Next(1, 9), random.Next(1, 9)),
                "shipping_city" => new(field, "Lisbon", LastNames[random.Next(LastNames.Length)] + "ville"),
                "carrier" => new(field, "DHL", random.Next(2) == 0 ? "UPS" : "FedEx"),
                _ => new(field, "leave at the door", $"call {random.Next(100, 999)} first"),
            });
        }

        return new ActivityLogEvent
        {
            Name = "activity_log.order.updated",
            Description = $"updated the order Order 1 ({string.Join(", ", changes.Select(c => c.Field))})",
            Resource = order,
            Changes = changes,
        };
    }

    private static ActivityLogEvent Ordinary(DateTimeOffset at, ActivityActor actor, int accountNumber, Random random)
    {
        double kind = random.NextDouble();
        int other = random.Next(200);
        string person = PersonName(accountNumber, other);
        string order = $"ord-{random.Next(2, 50_000)}";
        if (kind < 0.003)
        {
            return new ActivityLogEvent
            {
                Name = "activity_log.order.refunded",
                Description = $"refunded the order {order} after a {RareWord} from the card issuer",
                Resource = new ActivityResource("order", order, $"Order {order[4..]}"),
                Changes = [new("status", "paid", "refunded")],
            };
        }

        if (kind < 0.25)
        {
            return new ActivityLogEvent
            {
                Name = "activity_log.user.updated",
                Description = $"{CommonWord} the user {person}",
                Resource = new ActivityResource("user", UserId(accountNumber, other), person),
                Changes = [new("role", Roles[random.Next(Roles.Length)], Roles[random.Next(Roles.Length)]), new("email", "[FILTERED]", "[FILTERED]")],
            };
        }

        if (kind < 0.45)
        {
            string method = Methods[random.Next(Methods.Length)];
            return new ActivityLogEvent
            {
                Name = "activity_log.user.login_attempted",
                Description = $"signed in with {method}",
                Resource = actor.Type == "user" ? new ActivityResource("user", actor.Id, actor.Name) : null,
            };
        }

        if (kind < 0.65)
        {
            string from = Statuses[random.Next(Statuses.Length)];
            string to = Statuses[random.Next(Statuses.Length)];
            return new ActivityLogEvent
            {
                Name = "activity_log.order.updated",
                Description = $"{CommonWord} the order {order} from {from} to {to}",
                Resource = new ActivityResource("order", order, $"Order {order[4..]}"),
                Changes = [new("status", from, to), new("total", random.Next(10, 2000) + 0.99m, random.Next(10, 2000) + 0.99m)],
            };
        }

        if (kind < 0.8)
        {
            int invoice = random.Next(10_000, 99_999);
            return new ActivityLogEvent
            {
                Name = "activity_log.invoice.paid",
                Description = $"paid the invoice INV-{invoice} by {(random.Next(3) == 0 ? "bank transfer" : "card")}",
                Resource = new ActivityResource("invoice", $"inv-{invoice}", $"INV-{invoice}"),
                Changes = [new("paid_at", null, at.ToString("O", CultureInfo.InvariantCulture)), new("amount", null, random.Next(10, 5000))],
            };
        }

        if (kind < 0.92)
        {
            string hook = Webhooks[random.Next(Webhooks.Length)];
            return new ActivityLogEvent
            {
                Name = "activity_log.webhook.updated",
                Description = $"changed the endpoint of the webhook {hook}",
                Resource = new ActivityResource("webhook", $"wh-{random.Next(1, 40)}", hook),
                Changes = [new("url", $"https://hooks.example.com/{random.Next(1000)}", $"https://hooks.example.com/{random.Next(1000)}")],
            };
        }

        string domain = $"{LastNames[random.Next(LastNames.Length)].ToLowerInvariant()}-{random.Next(100)}.example.com";
        return new ActivityLogEvent
        {
            Name = random.Next(4) == 0 ? "activity_log.domain.deleted" : "activity_log.domain.created",
            Description = $"added the domain {domain} for verification",
            Resource = new ActivityResource("domain", $"dom-{random.Next(1, 10_000)}", domain),
            Changes = [new("name", null, domain), new("verified", null, false)],
        };
    }

    private static async Task WriteAsync(NpgsqlBinaryImporter writer, StoredActivityLogEvent row)
    {
        await writer.StartRowAsync();
        await writer.WriteAsync(row.Id, NpgsqlDbType.Uuid);
        await writer.WriteAsync(row.AccountId!, NpgsqlDbType.Varchar);
        await writer.WriteAsync(row.Name, NpgsqlDbType.Varchar);
        await WriteTextAsync(writer, row.Description, NpgsqlDbType.Text);
        await writer.WriteAsync(row.OccurredAt, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(row.ActorType, NpgsqlDbType.Varchar);
        await WriteTextAsync(writer, row.ActorId, NpgsqlDbType.Varchar);
        await writer.WriteAsync(row.ActorIdIsNumber, NpgsqlDbType.Boolean);
        await WriteTextAsync(writer, row.ActorName, NpgsqlDbType.Varchar);
        await WriteTextAsync(writer, row.ResourceType, NpgsqlDbType.Varchar);
        await WriteTextAsync(writer, row.ResourceId, NpgsqlDbType.Varchar);
        await WriteTextAsync(writer, row.ResourceName, NpgsqlDbType.Varchar);
        await WriteTextAsync(writer, row.RelatedResources, NpgsqlDbType.Jsonb);
        await writer.WriteAsync(row.Changes, NpgsqlDbType.Jsonb);
        await WriteTextAsync(writer, row.Context, NpgsqlDbType.Jsonb);
        await WriteTextAsync(writer, row.Metadata, NpgsqlDbType.Jsonb);
        await WriteTextAsync(writer, row.SearchText, NpgsqlDbType.Text);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter writer, string? value, NpgsqlDbType type) =>
        value is null ? writer.WriteNullAsync() : writer.WriteAsync(value, type);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ReadMarkerAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT marker FROM bench_seed WHERE to_regclass('activity_events') IS NOT NULL", connection);
        try
        {
            return await command.ExecuteScalarAsync() as string;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null; // a seed that stopped half way: no marker yet
        }
    }
}
