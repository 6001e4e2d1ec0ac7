using System.Net;
using System.Security.Claims;
using ActivityLog.AspNetCore.Context;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>The rules that turn a request into actor, account and context, on hand-built HttpContexts.</summary>
public sealed class HttpContextReaderTests
{
    [Theory]
    [InlineData("783", true)]
    [InlineData("0", true)]
    [InlineData("0783", false)]
    [InlineData("-5", false)]
    [InlineData("99999999999999999999", false)]
    [InlineData("7a", false)]
    public void Only_canonical_integer_ids_become_numbers(string id, bool numeric)
    {
        var actor = Reader().ReadActor(User(new Claim(ClaimTypes.NameIdentifier, id)));
        actor.Id.Should().Be(id);
        actor.HasNumericId.Should().Be(numeric);
    }

    [Fact]
    public void Numeric_ids_can_be_turned_off()
    {
        Reader(o => o.NumericActorIds = false).ReadActor(User(new Claim(ClaimTypes.NameIdentifier, "783"))).HasNumericId.Should().BeFalse();
    }

    [Fact]
    public void Claim_types_fall_back_in_order_and_configured_ones_replace_the_defaults()
    {
        var oidc = User(new Claim("sub", "abc"), new Claim("name", "Ann Lee"));
        Reader().ReadActor(oidc).Should().Be(ActivityActor.User("abc", "Ann Lee"));
        Reader().ReadActor(User(new Claim("sub", "abc"), new Claim(ClaimTypes.NameIdentifier, "7"), new Claim("name", "Ann Lee"), new Claim(ClaimTypes.Name, "Ann")))
            .Should().Be(ActivityActor.User(7, "Ann"), "the first claim type in the list wins, whatever the claims' order");

        var custom = Reader(o =>
        {
            o.ActorIdClaimTypes.Add("uid");
            o.ActorNameClaimTypes.Add("display");
        });
        custom.ReadActor(User(new Claim("uid", "42"), new Claim("display", "Bo"), new Claim("sub", "ignored"))).Should().Be(ActivityActor.User(42, "Bo"));
        custom.ReadActor(User(new Claim("sub", "ignored"))).Id.Should().BeNull("the configured list replaces the defaults");
    }

    [Fact]
    public void An_unauthenticated_principal_is_the_unknown_actor_even_with_claims()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "783")]));
        Reader().ReadActor(anonymous).IsUnknown.Should().BeTrue();
        Reader().ReadActor(null).IsUnknown.Should().BeTrue();
    }

    [Fact]
    public void Claims_and_headers_with_text_no_store_can_hold_become_values_ActivityScope_accepts()
    {
        // A NUL in a token's claim, and a user agent whose cut would fall between the halves of a surrogate pair: on
        // 298d2c2 these went into the event (and the store refused the batch); with Begin validating, they must not
        // make the middleware throw either.
        var reader = Reader();
        var user = User(new Claim(ClaimTypes.NameIdentifier, "id\0x"), new Claim(ClaimTypes.Name, "Ann\uD83D"), new Claim("account_id", "acct\0"));
        var http = new DefaultHttpContext { User = user };
        http.Request.Headers.UserAgent = new string('a', ActivityLimits.MaxContextValueLength - 1) + "\U0001F600";

        var actor = reader.ReadActor(user);
        var context = reader.ReadContext(http);
        string? account = reader.ReadAccount(http);

        actor.Id.Should().Be("id\uFFFDx");
        actor.Name.Should().Be("Ann\uFFFD");
        account.Should().BeNull("a repaired account id might name another account");
        context.UserAgent.Should().HaveLength(ActivityLimits.MaxContextValueLength - 1, "the pair is dropped whole, never split");
        using var scope = ActivityScope.Begin(actor, account, context);
        ActivityScope.Current.Should().BeSameAs(scope);
    }

    [Fact]
    public void Overlong_values_are_cut_to_the_event_limits_and_an_overlong_account_is_no_account()
    {
        var reader = Reader();
        var actor = reader.ReadActor(User(new Claim(ClaimTypes.NameIdentifier, new string('1', 300)), new Claim(ClaimTypes.Name, new string('n', 900))));
        actor.Id.Should().HaveLength(ActivityLimits.MaxIdLength);
        actor.Name.Should().HaveLength(ActivityLimits.MaxNameLength);

        var context = new DefaultHttpContext { User = User(new Claim("account_id", new string('a', 201))) };
        reader.ReadAccount(context).Should().BeNull();
        context.User = User(new Claim("account_id", new string('a', 200)));
        reader.ReadAccount(context).Should().HaveLength(200);
    }

    [Fact]
    public void The_claim_wins_over_the_route_value_and_the_header_and_blank_values_count_as_none()
    {
        var reader = Reader(o =>
        {
            o.AccountRouteValue = "accountId";
            o.AccountHeader = "X-Account";
        });
        var context = new DefaultHttpContext { User = User(new Claim("account_id", "from-claim")) };
        context.Request.RouteValues = new RouteValueDictionary { ["accountId"] = "from-route" };
        context.Request.Headers["X-Account"] = "from-header";
        reader.ReadAccount(context).Should().Be("from-claim");

        context.User = User(new Claim("account_id", "  "));
        reader.ReadAccount(context).Should().Be("from-route");
        context.Request.RouteValues.Clear();
        reader.ReadAccount(context).Should().Be("from-header");
        context.Request.Headers.Remove("X-Account");
        reader.ReadAccount(context).Should().BeNull();
    }

    [Fact]
    public void Context_capture_can_be_turned_off_per_value()
    {
        var context = new DefaultHttpContext { User = User(new Claim(ClaimTypes.NameIdentifier, "1")) };
        context.Connection.RemoteIpAddress = IPAddress.Parse("2001:db8::7");
        context.Request.Headers.UserAgent = "UA/1";
        Reader().ReadContext(context).Should().Match<ActivityRequestContext>(c => c.IpAddress == "2001:db8::7" && c.UserAgent == "UA/1" && c.AuthMethod == "Test");

        var off = Reader(o =>
        {
            o.CaptureIpAddress = false;
            o.CaptureUserAgent = false;
            o.AuthenticationTypeAsAuthMethod = false;
        }).ReadContext(context);
        off.IpAddress.Should().BeNull();
        off.UserAgent.Should().BeNull();
        off.AuthMethod.Should().BeNull();
        off.CorrelationId.Should().Be(context.TraceIdentifier);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_middlewares_scope_is_current_inside_the_pipeline_and_gone_after_it(bool asynchronous)
    {
        ActivityScope? inside = null;
        var middleware = new ActivityLogMiddleware(
            async _ =>
            {
                if (asynchronous)
                {
                    await Task.Yield();
                }

                inside = ActivityScope.Current;
            },
            Reader());
        var context = new DefaultHttpContext { User = User(new Claim(ClaimTypes.NameIdentifier, "783"), new Claim("account_id", "acct-a")) };

        ActivityScope.Current.Should().BeNull();
        await middleware.InvokeAsync(context);

        inside.Should().NotBeNull();
        inside!.AccountId.Should().Be("acct-a");
        inside.Actor.Should().Be(ActivityActor.User(783, null));
        ActivityScope.Current.Should().BeNull("the request's scope never outlives the request");
    }

    [Fact]
    public void Empty_claim_type_names_fail_validation()
    {
        var result = new ActivityLogHttpOptionsRulesValidator().Validate(null, new ActivityLogHttpOptions { AccountHeader = " ", ActorIdClaimTypes = ["sub", ""] });
        result.Failed.Should().BeTrue();
        result.Failures.Should().Contain(f => f.Contains("AccountHeader", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("ActorIdClaimTypes", StringComparison.Ordinal));
    }

    [Fact]
    public void One_pass_over_the_claims_finds_what_FindFirst_per_type_found()
    {
        // The reader reads every claim in one pass; each case below is what the per-type FindFirst calls answered.
        var reader = Reader(o => o.AccountClaimType = "account_id");

        // Types compare ignoring case, the first identity's claim wins, an empty first claim skips its type (not its claim).
        var principal = new ClaimsPrincipal(
        [
            new ClaimsIdentity([new Claim("SUB", ""), new Claim("sub", "second-sub"), new Claim("Name", "Ann")], "Cookies"),
            new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "9"), new Claim("account_id", "acct-b"), new Claim("AMR", "pwd")], "Other"),
        ]);
        reader.ReadActor(principal).Should().Be(ActivityActor.User(9, "Ann"), "NameIdentifier is tried first and is found in the second identity");
        var context = new DefaultHttpContext { User = principal };
        reader.ReadAccount(context).Should().Be("acct-b");
        reader.ReadContext(context).AuthMethod.Should().Be("pwd");

        // Only the first claim of a type counts: its empty value moves on to the next type, never to a later claim of it.
        reader.ReadActor(User(new Claim("sub", ""), new Claim("sub", "later"))).Id.Should().BeNull();

        // Derived principals and identities may override how claims are found: the reader asks them.
        var generic = new System.Security.Principal.GenericPrincipal(new System.Security.Principal.GenericIdentity("Bo Lee", "Basic"), []);
        reader.ReadActor(generic).Name.Should().Be("Bo Lee");
        var overriding = new ClaimsPrincipal(new OverridingIdentity());
        reader.ReadActor(overriding).Should().Be(ActivityActor.User(5, "From FindFirst"));
    }

    [Fact]
    public void The_client_address_text_is_the_address_of_each_request()
    {
        var reader = Reader();
        string? Read(IPAddress address)
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = address;
            return reader.ReadContext(context).IpAddress;
        }

        // Many addresses, some sharing cache slots, read in turns: each answer is its own address.
        var addresses = Enumerable.Range(0, 300).Select(i => new IPAddress([10, 0, (byte)(i / 250), (byte)(i % 250)])).ToList();
        foreach (var round in Enumerable.Range(0, 2))
        {
            foreach (var address in addresses)
            {
                Read(address).Should().Be(address.ToString());
            }
        }

        var v6 = IPAddress.Parse("fe80::1");
        v6.ScopeId = 2;
        Read(v6).Should().Be("fe80::1%2");
        v6.ScopeId = 3; // IPAddress is mutable: a changed address is never answered with the text cached for the old one
        Read(v6).Should().Be("fe80::1%3");
        Read(IPAddress.Parse("fe80::1")).Should().Be("fe80::1");
    }

    /// <summary>An identity that answers FindFirst itself and lists no claims.</summary>
    private sealed class OverridingIdentity() : ClaimsIdentity("Custom")
    {
        public override Claim? FindFirst(string type) => type switch
        {
            ClaimTypes.NameIdentifier => new Claim(type, "5"),
            ClaimTypes.Name => new Claim(type, "From FindFirst"),
            _ => null,
        };
    }

    private static ActivityHttpContextReader Reader(Action<ActivityLogHttpOptions>? configure = null)
    {
        var options = new ActivityLogHttpOptions();
        configure?.Invoke(options);
        return new ActivityHttpContextReader(Options.Create(options));
    }

    private static ClaimsPrincipal User(params Claim[] claims) => new(new ClaimsIdentity(claims, authenticationType: "Test"));
}
