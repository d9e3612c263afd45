using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>
/// One declared argument of a tool: its JSON Schema and its validation come from this one declaration, so the schema a
/// client sees and the check the daemon runs cannot disagree.
/// </summary>
/// <remarks>
/// The schema lists what a caller needs to form a call: type, enum, format, required, lower bounds, a number's range.
/// Guards against waste (an upper cap on a length, a count or a step number, a non-blank string) are checked the same
/// way but not listed: every tools/list costs a client's context its size, on every session, and listing the guards
/// cost a quarter of it; a call that breaks one is refused naming the field, as before.
/// </remarks>
/// <remarks>Immutable; built once per tool. Build them with <see cref="Field"/>.</remarks>
public abstract class ToolField
{
    private protected ToolField(string name, string description, bool required)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Description = description;
        Required = required;
    }

    /// <summary>The argument's name.</summary>
    public string Name { get; }

    /// <summary>What the client's model reads about it.</summary>
    public string Description { get; }

    /// <summary>Whether it must be given (a JSON <c>null</c> counts as not given).</summary>
    public bool Required { get; }

    /// <summary>Writes the property's schema (an object) at the writer's current position.</summary>
    internal void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        WriteType(writer);
        if (Description.Length > 0)
        {
            writer.WriteString("description", Description);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes the type keywords (<c>type</c>, bounds, <c>enum</c>, <c>items</c>).</summary>
    private protected abstract void WriteType(Utf8JsonWriter writer);

    /// <summary>Checks a given, non-null value; returns what is wrong, naming the field as <paramref name="path"/>, or null.</summary>
    internal abstract string? Check(JsonElement value, string path);
}
