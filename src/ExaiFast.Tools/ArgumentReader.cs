using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Tools;

/// <summary>Typed, validating access to a tool's arguments; every error names the field and what it must be.</summary>
public readonly struct ArgumentReader(JsonElement arguments)
{
    /// <summary>A required non-empty string.</summary>
    public string? RequiredString(string name, out string? error) =>
        HasRequiredString(name, out error) ? arguments.GetProperty(name).GetString() : null;

    /// <summary>
    /// Checks a required non-empty string without reading it into a string: validation runs on the connection's reader
    /// for every call, and the tool reads the value itself when it runs.
    /// </summary>
    public bool HasRequiredString(string name, out string? error)
    {
        error = null;
        if (!arguments.TryGetProperty(name, out var v))
        {
            error = $"'{name}' is required";
            return false;
        }

        if (v.ValueKind != JsonValueKind.String || IsBlank(v))
        {
            error = $"'{name}' must be a non-empty string";
            return false;
        }

        return true;
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

    // Blank as string.Trim sees it. Fast path: any unescaped ASCII byte other than a space is visible text; escapes
    // and all-non-ASCII values (which may be Unicode spaces) take the exact, allocating path.
    private static bool IsBlank(JsonElement value)
    {
        if (JsonStrings.TryGetUnescapedUtf8(value, out var raw))
        {
            foreach (byte b in raw)
            {
                if (b < 0x80 && b != (byte)' ')
                {
                    return false;
                }
            }
        }

        return value.GetString()!.AsSpan().Trim().IsEmpty;
    }
}
