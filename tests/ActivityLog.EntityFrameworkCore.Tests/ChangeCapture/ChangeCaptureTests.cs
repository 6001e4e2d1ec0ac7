using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.CaptureTestHost;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;

/// <summary>
/// Automatic change capture: created, updated and deleted events with the changed properties, in the same
/// <c>SaveChanges</c> as the change, for opted-in entity types only.
/// </summary>
public sealed class ChangeCaptureTests
{
    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Creating_an_entity_records_created_with_its_generated_key_and_values_from_null(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        Customer jane, john;
        await using (var scope = host.OpenContext())
        {
            jane = new Customer { Name = "Jane Doe", Tier = 2, ShippingAddress = new Address { Street = "1 Main St", City = "Springfield" } };
            john = new Customer { Name = "John Roe", CreditLimit = new Money { Cents = 50_000 } };
            scope.Db.Customers.AddRange(jane, john);
            await scope.Db.SaveChangesAsync();
        }

        jane.Id.Should().BeGreaterThan(0);
        var events = await host.EventsAsync();
        events.Should().HaveCount(2).And.OnlyContain(e => e.Name == "activity_log.customer.created" && e.ResourceType == "customer");
        var janeEvent = events.Single(e => e.ResourceName == "Jane Doe");
        janeEvent.ResourceId.Should().Be(jane.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "the event carries the key the database generated");
        events.Single(e => e.ResourceName == "John Roe").ResourceId.Should().Be(john.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        janeEvent.Description.Should().Be("created the customer Jane Doe");

        Fields(janeEvent).Should().Equal("credit_limit.cents", "credit_limit.currency", "name", "shipping_address.city", "shipping_address.street", "tier");
        Change(janeEvent, "name").Should().Be(("null", "\"Jane Doe\""));
        Change(janeEvent, "tier").Should().Be(("null", "2"));
        Change(janeEvent, "shipping_address.city").Should().Be(("null", "\"Springfield\""), "owned values are the owner's, under the navigation's name");
        Change(janeEvent, "credit_limit.currency").Should().Be(("null", "\"EUR\""), "complex type values are dotted too");
        Change(janeEvent, "credit_limit.cents").Should().Be(("null", "0"), "zero is a value; only null to null is no change");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Updating_records_only_the_changed_properties_from_old_to_new(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int id = await AddCustomerAsync(host, new Customer { Name = "Jane Doe", Tier = 1 });

        await using (var scope = host.OpenContext())
        {
            var customer = await scope.Db.Customers.SingleAsync(c => c.Id == id);
            customer.Name = "Jane Smith";
            customer.Tier = 3;
            customer.CreditLimit.Currency = "USD";
            await scope.Db.SaveChangesAsync();
        }

        var updated = (await host.EventsAsync()).Should().ContainSingle(e => e.Name == "activity_log.customer.updated").Subject;
        (updated.ResourceId, updated.ResourceName).Should().Be((id.ToString(System.Globalization.CultureInfo.InvariantCulture), "Jane Smith"));
        Fields(updated).Should().Equal("credit_limit.currency", "name", "tier");
        Change(updated, "name").Should().Be(("\"Jane Doe\"", "\"Jane Smith\""));
        Change(updated, "tier").Should().Be(("1", "3"));
        Change(updated, "credit_limit.currency").Should().Be(("\"EUR\"", "\"USD\""));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_update_that_changes_no_recorded_value_records_nothing(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int id = await AddCustomerAsync(host, new Customer { Name = "Jane Doe" });

        await using (var scope = host.OpenContext())
        {
            var customer = await scope.Db.Customers.SingleAsync(c => c.Id == id);
            customer.Name = "Jane Doe";
            scope.Db.Entry(customer).Property(c => c.Name).IsModified = true;
            scope.Db.Entry(customer).State.Should().Be(EntityState.Modified);
            await scope.Db.SaveChangesAsync();

            customer.LastSeenAt = new DateTime(2024, 12, 9, 0, 0, 0, DateTimeKind.Utc);
            await scope.Db.SaveChangesAsync();
        }

        (await host.EventsAsync()).Select(e => e.Name).Should().Equal(["activity_log.customer.created"],
            "a Modified entry whose values did not move, or moved in an ignored property only, is no activity");
        (await host.QueryAsync(db => db.Customers.Select(c => c.LastSeenAt).SingleAsync())).Should().NotBeNull("the ignored property was saved");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Deleting_records_deleted_with_the_old_values_to_null(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int id = await AddCustomerAsync(host, new Customer { Name = "Jane Doe", Tier = 2, ShippingAddress = new Address { Street = "1 Main St", City = "Springfield" } });

        await using (var scope = host.OpenContext())
        {
            scope.Db.Customers.Remove(await scope.Db.Customers.SingleAsync(c => c.Id == id));
            await scope.Db.SaveChangesAsync();
        }

        var deleted = (await host.EventsAsync()).Should().ContainSingle(e => e.Name == "activity_log.customer.deleted").Subject;
        (deleted.ResourceId, deleted.ResourceName, deleted.Description).Should().Be((id.ToString(System.Globalization.CultureInfo.InvariantCulture), "Jane Doe", "deleted the customer Jane Doe"));
        Change(deleted, "name").Should().Be(("\"Jane Doe\"", "null"));
        Change(deleted, "tier").Should().Be(("2", "null"));
        Change(deleted, "shipping_address.city").Should().Be(("\"Springfield\"", "null"));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Changes_of_an_owned_entity_are_recorded_as_an_update_of_its_owner(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int id = await AddCustomerAsync(host, new Customer { Name = "Jane Doe", ShippingAddress = new Address { Street = "1 Main St", City = "Springfield" } });

        await using (var scope = host.OpenContext())
        {
            var customer = await scope.Db.Customers.SingleAsync(c => c.Id == id);
            customer.ShippingAddress!.City = "Shelbyville";
            await scope.Db.SaveChangesAsync();

            customer.ShippingAddress = new Address { Street = "2 Side St", City = "Shelbyville" };
            await scope.Db.SaveChangesAsync();

            customer.ShippingAddress = null;
            await scope.Db.SaveChangesAsync();
        }

        var updates = (await host.EventsAsync()).Where(e => e.Name == "activity_log.customer.updated").ToList();
        updates.Should().HaveCount(3).And.OnlyContain(e => e.ResourceId == id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Fields(updates[0]).Should().Equal("shipping_address.city");
        Change(updates[0], "shipping_address.city").Should().Be(("\"Springfield\"", "\"Shelbyville\""));

        Fields(updates[1]).Should().Equal(["shipping_address.street"], "a replaced owned entity records what differs between the old and the new one");
        Change(updates[1], "shipping_address.street").Should().Be(("\"1 Main St\"", "\"2 Side St\""));

        Fields(updates[2]).Should().Equal("shipping_address.city", "shipping_address.street");
        Change(updates[2], "shipping_address.city").Should().Be(("\"Shelbyville\"", "null"));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_owned_collection_is_recorded_as_its_list_of_items_before_and_after(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int customerId = await AddCustomerAsync(host, new Customer { Name = "Jane Doe" });
        var order = new Order { Number = "SO-1", CustomerId = customerId, Lines = { new OrderLine { Sku = "A", Quantity = 1 } } };
        await using (var scope = host.OpenContext())
        {
            scope.Db.Orders.Add(order);
            await scope.Db.SaveChangesAsync();
        }

        await using (var scope = host.OpenContext())
        {
            var loaded = await scope.Db.Orders.SingleAsync(o => o.Id == order.Id);
            loaded.Lines[0].Quantity = 2;
            loaded.Lines.Add(new OrderLine { Sku = "B", Quantity = 5 });
            await scope.Db.SaveChangesAsync();
        }

        var events = (await host.EventsAsync()).Where(e => e.ResourceType == "order").ToList();
        events.Select(e => e.Name).Should().Equal("activity_log.order.created", "activity_log.order.updated");
        Change(events[0], "lines").Should().Be(("null", """[{"quantity":1,"sku":"A"}]"""));
        Fields(events[1]).Should().Equal("lines");
        Change(events[1], "lines").Should().Be(("""[{"quantity":1,"sku":"A"}]""", """[{"quantity":2,"sku":"A"},{"quantity":5,"sku":"B"}]"""));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Many_to_many_changes_are_recorded_as_an_update_of_the_captured_side(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int customerId = await AddCustomerAsync(host, new Customer { Name = "Jane Doe" });
        var urgent = new Tag { Label = "urgent" };
        var order = new Order { Number = "SO-7", CustomerId = customerId, Tags = { urgent } };
        await using (var scope = host.OpenContext())
        {
            scope.Db.Orders.Add(order);
            await scope.Db.SaveChangesAsync();
        }

        Tag gift;
        await using (var scope = host.OpenContext())
        {
            var loaded = await scope.Db.Orders.Include(o => o.Tags).SingleAsync(o => o.Id == order.Id);
            gift = new Tag { Label = "gift" };
            loaded.Tags.Add(gift);
            await scope.Db.SaveChangesAsync();

            loaded.Tags.RemoveAll(t => t.Label == "urgent");
            await scope.Db.SaveChangesAsync();
        }

        var events = (await host.EventsAsync()).Where(e => e.ResourceType == "order").ToList();
        events.Select(e => e.Name).Should().Equal("activity_log.order.created", "activity_log.order.updated", "activity_log.order.updated");
        events.Should().OnlyContain(e => e.ResourceId == order.Id.ToString() && e.ResourceName == "SO-7");
        Change(events[0], "tags").Should().Be(("null", $"[{urgent.Id}]"), "the new tag's generated key is reported");
        Fields(events[1]).Should().Equal(["tags"], "only the join row changed");
        Change(events[1], "tags").Should().Be(($"[{urgent.Id}]", $"[{urgent.Id},{gift.Id}]"));
        Change(events[2], "tags").Should().Be(($"[{urgent.Id},{gift.Id}]", $"[{gift.Id}]"));
        (await host.EventsAsync()).Should().NotContain(e => e.ResourceType == "tag", "tags are not captured");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_join_row_saved_without_its_owner_loaded_records_an_update_of_the_owner_by_key(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int customerId = await AddCustomerAsync(host, new Customer { Name = "Jane Doe" });
        var order = new Order { Number = "SO-3", CustomerId = customerId };
        var tag = new Tag { Label = "vip" };
        await using (var scope = host.OpenContext())
        {
            scope.Db.AddRange(order, tag);
            await scope.Db.SaveChangesAsync();
        }

        await using (var scope = host.OpenContext())
        {
            var joinType = scope.Db.Model.FindEntityType(typeof(Order))!.FindSkipNavigation(nameof(Order.Tags))!.JoinEntityType;
            var join = new Dictionary<string, object>
            {
                [joinType.GetForeignKeys().Single(fk => fk.PrincipalEntityType.ClrType == typeof(Order)).Properties[0].Name] = order.Id,
                [joinType.GetForeignKeys().Single(fk => fk.PrincipalEntityType.ClrType == typeof(Tag)).Properties[0].Name] = tag.Id,
            };
            scope.Db.Set<Dictionary<string, object>>(joinType.Name).Add(join);
            scope.Db.ChangeTracker.Entries<Order>().Should().BeEmpty("the order is not loaded");
            await scope.Db.SaveChangesAsync();
        }

        var updated = (await host.EventsAsync()).Should().ContainSingle(e => e.Name == "activity_log.order.updated").Subject;
        (updated.ResourceId, updated.ResourceName).Should().Be((order.Id.ToString(), null), "an owner that is not loaded is known by its key only");
        Change(updated, "tags").Should().Be(("[]", $"[{tag.Id}]"), "the lists hold what the context tracks");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_save_that_does_not_accept_its_changes_stores_each_event_once(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            scope.Db.Customers.Add(new Customer { Name = "Jane Doe" });
            await scope.Db.SaveChangesAsync(acceptAllChangesOnSuccess: false);
            scope.Db.ChangeTracker.Entries<StoredActivityLogEvent>().Should().BeEmpty();
            scope.Db.ChangeTracker.AcceptAllChanges();
            await scope.Db.SaveChangesAsync();
        }

        (await host.EventsAsync()).Should().ContainSingle();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_foreign_key_to_a_row_created_in_the_same_save_reports_the_generated_key(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        var customer = new Customer { Name = "Jane Doe" };
        var order = new Order { Number = "SO-9", TotalCents = 1250, Customer = customer };
        await using (var scope = host.OpenContext())
        {
            scope.Db.Orders.Add(order);
            scope.Db.SaveChanges();
        }

        var created = (await host.EventsAsync()).Should().ContainSingle(e => e.Name == "activity_log.order.created").Subject;
        Change(created, "customer_id").Should().Be(("null", customer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Change(created, "total_cents").Should().Be(("null", "1250"));
        created.ResourceId.Should().Be(order.Id.ToString());
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Sensitive_and_filtered_properties_are_recorded_as_FILTERED(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider, log => log.ConfigureRedaction(r => r.FilterResourceFields("customer", "tier")));
        int id = await AddCustomerAsync(host, new Customer { Name = "Jane Doe", Email = "jane@example.com", TaxNumber = "DE123456789", Tier = 1 });
        await using (var scope = host.OpenContext())
        {
            var customer = await scope.Db.Customers.SingleAsync(c => c.Id == id);
            customer.TaxNumber = "DE987654321";
            customer.Tier = 2;
            await scope.Db.SaveChangesAsync();
        }

        var events = await host.EventsAsync();
        var created = events.Single(e => e.Name == "activity_log.customer.created");
        Change(created, "tax_number").Should().Be(("\"[FILTERED]\"", "\"[FILTERED]\""), "[SensitiveData] on the property masks it");
        Change(created, "email").Should().Be(("\"[FILTERED]\"", "\"[FILTERED]\""), "the default filters apply to captured fields");
        var updated = events.Single(e => e.Name == "activity_log.customer.updated");
        Fields(updated).Should().Equal(["tax_number", "tier"], "a sensitive change is still recorded as a change");
        Change(updated, "tier").Should().Be(("\"[FILTERED]\"", "\"[FILTERED]\""), "resource-type rules apply to captured fields");
        events.Should().NotContain(e => e.Changes.Contains("DE123456789") || e.Changes.Contains("DE987654321") || e.Changes.Contains("jane@example.com"));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_ambient_actor_account_and_context_are_recorded(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            using var ambient = ActivityScope.Begin(ActivityActor.User(42, "Ann Admin"), "acme", new ActivityRequestContext { IpAddress = "203.0.113.7" });
            scope.Db.Customers.Add(new Customer { Name = "Jane Doe" });
            await scope.Db.SaveChangesAsync();
        }

        var row = (await host.EventsAsync()).Should().ContainSingle().Subject;
        (row.ActorType, row.ActorId, row.ActorIdIsNumber, row.ActorName, row.AccountId).Should().Be(("user", "42", true, "Ann Admin", "acme"));
        row.Context.Should().Contain("203.0.113.7");
        row.OccurredAt.Should().Be(host.Time.GetUtcNow().UtcDateTime, "the time comes from the app's TimeProvider");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_disabled_account_records_no_captured_change_but_the_change_is_saved(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider, log => log.UseGate((account, _) => ValueTask.FromResult(account != "free")));
        await using (var scope = host.OpenContext())
        {
            using (ActivityScope.Begin(accountId: "free"))
            {
                scope.Db.Customers.Add(new Customer { Name = "Free plan" });
                scope.Db.Orders.Add(new Order { Number = "SO-1", Customer = new Customer { Name = "Also free" } });
                await scope.Db.SaveChangesAsync();
            }

            using (ActivityScope.Begin(accountId: "paid"))
            {
                scope.Db.Customers.Add(new Customer { Name = "Paid plan" });
                await scope.Db.SaveChangesAsync();
            }
        }

        (await host.EventsAsync()).Should().ContainSingle().Which.ResourceName.Should().Be("Paid plan");
        (await host.QueryAsync(db => db.Customers.CountAsync())).Should().Be(3);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Capture_never_records_its_own_rows_nor_types_that_did_not_opt_in(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            scope.Db.Customers.Add(new Customer { Name = "Jane Doe" });
            scope.Db.Notes.Add(new Note { Text = "not captured" });
            scope.Db.Tags.Add(new Tag { Label = "not captured" });
            await scope.Db.SaveChangesAsync();

            // A save that holds nothing but activity rows (a unit of work's event) captures nothing more.
            using var activities = scope.Db.RecordActivities();
            host.Recorder.Record("activity_log.customer.viewed", new ActivityResource("customer", 1, "Jane Doe"));
            await scope.Db.SaveChangesAsync();
        }

        (await host.EventsAsync()).Select(e => e.Name).Should().Equal("activity_log.customer.created", "activity_log.customer.viewed");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Inside_an_explicit_transaction_captured_events_commit_and_roll_back_with_it(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        Customer kept;
        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            await using (var rolledBack = await db.Database.BeginTransactionAsync())
            {
                db.Customers.Add(new Customer { Name = "Rolled back" });
                await db.SaveChangesAsync();
                await rolledBack.RollbackAsync();
            }

            db.ChangeTracker.Clear();
            await using var committed = await db.Database.BeginTransactionAsync();
            kept = new Customer { Name = "Committed" };
            db.Customers.Add(kept);
            db.SaveChanges();
            await committed.CommitAsync();
        }

        var row = (await host.EventsAsync()).Should().ContainSingle().Subject;
        (row.ResourceName, row.ResourceId).Should().Be(("Committed", kept.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        (await host.QueryAsync(db => db.Customers.Select(c => c.Name).ToListAsync())).Should().Equal("Committed");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task When_an_event_cannot_be_written_the_business_change_is_not_saved_either(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        int existing = await AddCustomerAsync(host, new Customer { Name = "Before" });
        await DropActivityTableAsync(host);

        await using var scope = host.OpenContext();
        var db = scope.Db;

        // An identity key: the event is written when EF Core commits, and its failure rolls the save back.
        var customer = new Customer { Name = "After" };
        db.Customers.Add(customer);
        var save = () => db.SaveChangesAsync();
        (await save.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("could not be recorded").And.Contain("Nothing is committed");
        db.Entry(customer).State.Should().Be(EntityState.Added, "the tracker keeps the change for a retry");

        // A client key: the event is in the same batch as the change.
        db.ChangeTracker.Clear();
        db.Orders.Add(new Order { Number = "SO-1", CustomerId = existing });
        await save.Should().ThrowAsync<DbUpdateException>();

        (await host.QueryAsync(ctx => ctx.Customers.Select(c => c.Name).ToListAsync())).Should().Equal("Before");
        (await host.QueryAsync(ctx => ctx.Orders.CountAsync())).Should().Be(0);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task With_LogAndContinue_a_failing_capture_is_logged_and_the_change_is_saved(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider,
            services: s => s.Configure<ActivityChangeCaptureOptions>(o => o.OnFailure = ActivityCaptureFailureBehavior.LogAndContinue));
        await DropActivityTableAsync(host);

        await using (var scope = host.OpenContext())
        {
            scope.Db.Customers.Add(new Customer { Name = "Saved anyway" });
            await scope.Db.SaveChangesAsync();
        }

        (await host.QueryAsync(ctx => ctx.Customers.CountAsync())).Should().Be(1);
        host.Logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Error && r.Id.Id == 2402 && r.Exception != null);
    }

    private static async Task<int> AddCustomerAsync(CaptureTestHost host, Customer customer)
    {
        await using var scope = host.OpenContext();
        scope.Db.Customers.Add(customer);
        await scope.Db.SaveChangesAsync();
        return customer.Id;
    }

    private static Task DropActivityTableAsync(CaptureTestHost host) =>
        host.QueryAsync(db => db.Database.ExecuteSqlRawAsync("DROP TABLE activity_events"));
}
