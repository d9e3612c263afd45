using System.Text.Json;

namespace ExaiFast.Tools.Schema;

/// <summary>An integer argument with bounds.</summary>
internal sealed class IntegerField(string name, string description, bool required, long min, long max) : ToolField(name, description, required)
{
    private protected override void WriteType(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "integer");
        writer.WriteNumber("minimum", min); // the maximum is a guard, enforced unlisted (ToolField)
    }

    internal override string? Check(JsonElement value, string path) =>
        TryRead(value, out long i) && i >= min && i <= max
            ? null
            : $"'{path}' must be an integer from {min} to {max}";

    /// <summary>An integer as JSON Schema counts one: <c>3</c>, and also <c>3.0</c> (what Python and JavaScript clients send
    /// for a float that happens to be whole).</summary>
    internal static bool TryRead(JsonElement value, out long integer)
    {
        integer = 0;
        if (value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        if (value.TryGetInt64(out integer))
        {
            return true;
        }

        if (value.TryGetDouble(out double d) && d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue)
        {
            integer = (long)d;
            return true;
        }

        return false;
    }
}
