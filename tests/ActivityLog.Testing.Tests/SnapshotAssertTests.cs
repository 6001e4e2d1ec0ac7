using ActivityLog.Testing.Tests.Support;

namespace ActivityLog.Testing.Tests;

/// <summary>
/// <see cref="SnapshotAssert"/> against a fresh temp folder: each test passes <c>sourceFile</c> explicitly so the
/// Snapshots folder it resolves is never the repository's.
/// </summary>
[Collection(SnapshotFiles.Name)]
public sealed class SnapshotAssertTests : IDisposable
{
    private const string Text = "{\n  \"events\": [\n    {\n      \"event\": \"activity_log.domain.added\"\n    }\n  ]\n}\n";

    private readonly TempSnapshotDirectory _temp = new();

    // Every test here assumes acceptance is off unless it turns it on, whatever the shell running the tests set.
    private readonly EnvironmentVariableScope _accept = EnvironmentVariableScope.AcceptSnapshots(false);

    public void Dispose()
    {
        _accept.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void A_missing_verified_file_fails_and_writes_the_received_file()
    {
        var check = () => SnapshotAssert.Matches(Text, "payload", _temp.SourceFile);

        var failure = check.Should().Throw<SnapshotMismatchException>().Which;
        failure.Message.Should().Contain("no verified file").And.Contain(_temp.Received("payload")).And.Contain(SnapshotAssert.AcceptVariable);
        File.ReadAllText(_temp.Received("payload")).Should().Be(Text);
        File.Exists(_temp.Verified("payload")).Should().BeFalse("nothing is accepted without the opt-in");
    }

    [Fact]
    public void A_matching_verified_file_passes_and_removes_a_stale_received_file()
    {
        _temp.WriteVerified("payload", Text);
        _temp.WriteReceived("payload", "stale output of an earlier failing run");

        SnapshotAssert.Matches(Text, "payload", _temp.SourceFile);

        File.Exists(_temp.Received("payload")).Should().BeFalse();
        File.ReadAllText(_temp.Verified("payload")).Should().Be(Text);
    }

    [Theory]
    [InlineData("crlf in verified")]
    [InlineData("crlf in actual")]
    [InlineData("no trailing newline in verified")]
    [InlineData("no trailing newline in actual")]
    [InlineData("extra trailing newlines in verified")]
    public void Line_endings_and_the_trailing_newline_do_not_matter(string variant)
    {
        string crlf = Text.Replace("\n", "\r\n", StringComparison.Ordinal);
        string trimmed = Text.TrimEnd('\n');
        (string verified, string actual) = variant switch
        {
            "crlf in verified" => (crlf, Text),
            "crlf in actual" => (Text, crlf),
            "no trailing newline in verified" => (trimmed, Text),
            "no trailing newline in actual" => (Text, trimmed),
            _ => (Text + "\n\n", Text),
        };
        _temp.WriteVerified("payload", verified);

        SnapshotAssert.Matches(actual, "payload", _temp.SourceFile);

        File.Exists(_temp.Received("payload")).Should().BeFalse();
    }

    [Fact]
    public void Trailing_spaces_are_not_ignored()
    {
        _temp.WriteVerified("payload", Text.Replace("\"events\": [", "\"events\": [ ", StringComparison.Ordinal));

        var check = () => SnapshotAssert.Matches(Text, "payload", _temp.SourceFile);

        check.Should().Throw<SnapshotMismatchException>().Which.Message.Should().Contain("line 2");
    }

    [Fact]
    public void A_mismatch_fails_naming_the_first_differing_line_and_writes_the_received_file()
    {
        string verified = Text.Replace("domain.added", "domain.removed", StringComparison.Ordinal);
        _temp.WriteVerified("payload", verified);

        var check = () => SnapshotAssert.Matches(Text, "payload", _temp.SourceFile);

        var failure = check.Should().Throw<SnapshotMismatchException>().Which;
        failure.Message.Should()
            .Contain("First difference at line 4")
            .And.Contain("verified:       \"event\": \"activity_log.domain.removed\"")
            .And.Contain("received:       \"event\": \"activity_log.domain.added\"")
            .And.Contain(_temp.Verified("payload"))
            .And.Contain(_temp.Received("payload"));
        File.ReadAllText(_temp.Received("payload")).Should().Be(Text);
        File.ReadAllText(_temp.Verified("payload")).Should().Be(verified, "a mismatch never overwrites the verified file");
    }

    [Fact]
    public void A_mismatch_in_length_names_the_end_of_file()
    {
        _temp.WriteVerified("payload", "{\n}\n");

        var check = () => SnapshotAssert.Matches("{\n}\nmore\n", "payload", _temp.SourceFile);

        check.Should().Throw<SnapshotMismatchException>().Which.Message.Should()
            .Contain("First difference at line 3").And.Contain("verified: <end of file>").And.Contain("received: more");
    }

    [Fact]
    public void With_the_accept_variable_a_missing_snapshot_is_written_as_verified()
    {
        using (EnvironmentVariableScope.AcceptSnapshots(true))
        {
            SnapshotAssert.Matches(Text.TrimEnd('\n'), "payload", _temp.SourceFile);
        }

        File.ReadAllText(_temp.Verified("payload")).Should().Be(Text, "the verified file is stored normalized, with one trailing newline");
        File.Exists(_temp.Received("payload")).Should().BeFalse();
        Environment.GetEnvironmentVariable(SnapshotAssert.AcceptVariable).Should().BeNull("the variable is restored after the test");
    }

    [Fact]
    public void With_the_accept_variable_a_differing_snapshot_is_overwritten_and_the_received_file_removed()
    {
        _temp.WriteVerified("payload", "{}\n");
        _temp.WriteReceived("payload", "stale");
        string actual = Text.Replace("\n", "\r\n", StringComparison.Ordinal);

        using (EnvironmentVariableScope.AcceptSnapshots(true))
        {
            SnapshotAssert.Matches(actual, "payload", _temp.SourceFile);
        }

        File.ReadAllText(_temp.Verified("payload")).Should().Be(Text);
        File.Exists(_temp.Received("payload")).Should().BeFalse();
        SnapshotAssert.Matches(Text, "payload", _temp.SourceFile);
    }

    [Fact]
    public void The_accept_variable_must_be_exactly_1()
    {
        using (EnvironmentVariableScope.AcceptSnapshots("true"))
        {
            var check = () => SnapshotAssert.Matches(Text, "payload", _temp.SourceFile);
            check.Should().Throw<SnapshotMismatchException>();
        }

        File.Exists(_temp.Verified("payload")).Should().BeFalse();
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a b")]
    [InlineData("x/y")]
    [InlineData("x\\y")]
    [InlineData("")]
    [InlineData("   ")]
    public void A_bad_snapshot_name_is_rejected_and_nothing_is_written(string name)
    {
        var check = () => SnapshotAssert.Matches(Text, name, _temp.SourceFile);

        check.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("name");
        Directory.Exists(_temp.Root).Should().BeFalse();
    }

    [Fact]
    public void Names_with_letters_digits_dots_dashes_and_underscores_are_accepted()
    {
        _temp.WriteVerified("Captured_events-2.v1", Text);

        SnapshotAssert.Matches(Text, "Captured_events-2.v1", _temp.SourceFile);
    }

    [Fact]
    public void A_null_text_is_rejected()
    {
        var check = () => SnapshotAssert.Matches(null!, "payload", _temp.SourceFile);

        check.Should().Throw<ArgumentNullException>();
    }
}
