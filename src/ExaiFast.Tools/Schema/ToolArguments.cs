using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Tools.Schema;

/// <summary>
/// Reads a call's arguments after <see cref="ToolFields.Validate"/> passed: types and bounds are known to hold, so each
/// read is a plain lookup with the caller's default for an absent (or null) argument.
/// </summary>
public readonly struct ToolArguments(JsonElement arguments)
{
    /// <summary>The arguments object.</summary>
    public JsonElement Json => arguments;

    /// <summary>Whether <paramref name="name"/> was given (not null).</summary>
    public bool Has(string name) => arguments.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>A string, or <paramref name="fallback"/>.</summary>
    /// <remarks>A string over 1 MiB is unescaped into an array of its own, not one rented from the shared pool, which
    /// would keep it (<see cref="JsonStrings.GetString"/>: a burst of big prompts).</remarks>
    public string? Text(string name, string? fallback = null) =>
        arguments.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? JsonStrings.GetString(v) : fallback;

    /// <summary>A required string (validation saw it).</summary>
    public string RequiredText(string name) => Text(name) ?? throw new InvalidOperationException($"'{name}' was validated as required");

    /// <summary>
    /// A required string meant for a model: over <see cref="InPlaceBytes"/> as sent, read in place where it arrived (no
    /// UTF-16 copy of a big prompt: the provider writes it onward from the received bytes); a string otherwise.
    /// </summary>
    /// <remarks>An in-place text is valid until the call ends: keep <see cref="Models.MessageText.ToString(int)"/> of it
    /// for anything that outlives the call (a thread's turn).</remarks>
    public Models.MessageText RequiredPrompt(string name)
    {
        if (arguments.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String &&
            System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(v).Length > InPlaceBytes)
        {
            return Models.MessageText.InPlace(v);
        }

        return RequiredText(name);
    }

    /// <summary>Strings longer than this (bytes as sent) are read in place by <see cref="RequiredPrompt"/>.</summary>
    public const int InPlaceBytes = 64 * 1024;

    /// <summary>An integer, or <paramref name="fallback"/>.</summary>
    public int? Int(string name, int? fallback = null) =>
        arguments.TryGetProperty(name, out var v) && IntegerField.TryRead(v, out long i) && i is >= int.MinValue and <= int.MaxValue ? (int)i : fallback;

    /// <summary>A number, or <paramref name="fallback"/>.</summary>
    public double? Number(string name, double? fallback = null) =>
        arguments.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    /// <summary>A boolean, or <paramref name="fallback"/>.</summary>
    public bool? Bool(string name, bool? fallback = null) =>
        arguments.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    /// <summary>An array of strings; empty when absent.</summary>
    public string[] TextList(string name)
    {
        if (!arguments.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            return [];
        }

        var list = new string[v.GetArrayLength()];
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            list[i++] = item.ValueKind == JsonValueKind.String ? item.GetString()! : string.Empty; // as every reader here: a wrong type never throws
        }

        return list;
    }

    /// <summary>An array of objects; empty when absent.</summary>
    public IEnumerable<ToolArguments> Objects(string name)
    {
        if (!arguments.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var item in v.EnumerateArray())
        {
            yield return new ToolArguments(item);
        }
    }
}
