namespace ActivityLog;

/// <summary>One changed field of a resource: its value before (<see cref="From"/>) and after (<see cref="To"/>).</summary>
/// <remarks>
/// Values may be <see langword="null"/>, strings, numbers, booleans, dates, GUIDs, enums,
/// <see cref="System.Text.Json.Nodes.JsonNode"/>, <see cref="System.Text.Json.JsonElement"/>, dictionaries with
/// string keys, sequences, or plain objects (serialized with their public properties). Before any sink sees an event,
/// the pipeline turns nested values into <see cref="System.Text.Json.Nodes.JsonNode"/> trees and redacts them.
/// </remarks>
/// <param name="Field">The field name as the app writes it (for example <c>name</c>). Not empty.</param>
/// <param name="From">The value before the change (<see langword="null"/> for a created resource).</param>
/// <param name="To">The value after the change (<see langword="null"/> for a deleted resource).</param>
public readonly record struct ActivityChange(string Field, object? From, object? To)
{
    /// <summary>Creates a change; a shorter spelling of the constructor for call sites with many changes.</summary>
    /// <param name="field">The field name. Not empty.</param>
    /// <param name="from">The value before.</param>
    /// <param name="to">The value after.</param>
    /// <returns>The change.</returns>
    public static ActivityChange Of(string field, object? from, object? to) => new(field, from, to);
}
