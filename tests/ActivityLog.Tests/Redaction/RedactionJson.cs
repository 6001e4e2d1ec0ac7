using System.Text.Json.Nodes;

namespace ActivityLog.Tests.Redaction;

/// <summary>JSON helpers for the redaction tests.</summary>
internal static class RedactionJson
{
    public static JsonObject Object(string json) => JsonNode.Parse(json)!.AsObject();

    public static void ShouldEqualJson(this JsonNode? actual, string expected)
    {
        var expectedNode = JsonNode.Parse(expected);
        JsonNode.DeepEquals(actual, expectedNode).Should().BeTrue(
            "expected {0} but got {1}", expectedNode?.ToJsonString(), actual?.ToJsonString() ?? "null");
    }
}
