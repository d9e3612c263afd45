using System.Text.Json;

namespace ExaiFast.Tools;

/// <summary>Typed, validating access to a tool's arguments; every error names the field and what it must be.</summary>
public readonly struct ArgumentReader(JsonElement arguments)
{
    /// <summary>A required non-empty string.</summary>
    public string? RequiredString(string name, out string? error)
    {
        error = null;
        if (!arguments.TryGetProperty(name, out var v))
        {
            error = $"'{name}' is required";
            return null;
        }

        if (v.ValueKind != JsonValueKind.String || v.GetString()!.Trim().Length == 0)
        {
            error = $"'{name}' must be a non-empty string";
            return null;
        }

        return v.GetString();
    }

    /// <summary>An optional string.</summary>
    public string? OptionalString(string name, ref string? error)
    {
        if (!arguments.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            error ??= $"'{name}' must be a string";
            return null;
        }

        return v.GetString();
    }

    /// <summary>An optional number in [min, max].</summary>
    public double? OptionalNumber(string name, double min, double max, ref string? error)
    {
        if (!arguments.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || d < min || d > max)
        {
            error ??= $"'{name}' must be a number from {min} to {max}";
            return null;
        }

        return d;
    }

    /// <summary>An optional integer in [min, max].</summary>
    public int? OptionalInt(string name, int min, int max, ref string? error)
    {
        if (!arguments.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < min || i > max)
        {
            error ??= $"'{name}' must be an integer from {min} to {max}";
            return null;
        }

        return i;
    }

    /// <summary>An optional boolean.</summary>
    public bool? OptionalBool(string name, ref string? error)
    {
        if (!arguments.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error ??= $"'{name}' must be true or false";
            return null;
        }

        return v.GetBoolean();
    }
}
