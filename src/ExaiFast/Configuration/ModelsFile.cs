using System.Text.Json;
using ExaiFast.Models;

namespace ExaiFast.Configuration;

/// <summary>
/// Reads <c>EXAIFAST_MODELS_FILE</c>: a JSON object of providers (<c>kimi</c>, <c>glm</c>, <c>openai</c>), each an array
/// of models (<see cref="ModelEntry"/>). Every problem is a line naming the file, the entry and the field; an entry with a
/// problem is left out, so that the rest of the file is still checked. Parsed with <see cref="JsonDocument"/>: no
/// reflection, which Native AOT would not allow.
/// </summary>
internal static class ModelsFile
{
    /// <summary>The providers a file may name, in preference order.</summary>
    public static readonly string[] Providers = ["kimi", "glm", "openai"];

    private static readonly string[] Fields = ["name", "aliases", "context_window", "max_output_tokens", "capabilities", "auto"];

    private static readonly (string Name, ModelCapabilities Flag)[] CapabilityNames =
    [
        ("fast", ModelCapabilities.Fast), ("strong", ModelCapabilities.Strong), ("thinking", ModelCapabilities.Thinking),
        ("vision", ModelCapabilities.Vision), ("websearch", ModelCapabilities.WebSearch),
    ];

    // Comments and trailing commas are what a hand-edited file has; neither changes what it means.
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 16 };

    /// <summary>The file's entries; null (with the problem added) when it cannot be read or is not JSON.</summary>
    public static List<ModelEntry>? Read(string path, List<string> problems)
    {
        if (Directory.Exists(path))
        {
            problems.Add($"models file {path} is a directory, not a file (EXAIFAST_MODELS_FILE)");
            return null;
        }

        if (!File.Exists(path))
        {
            problems.Add($"models file {path} does not exist (EXAIFAST_MODELS_FILE)");
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"models file {path} cannot be read: {ex.Message}");
            return null;
        }

        return Parse(text, path, problems);
    }

    /// <summary>The entries of <paramref name="text"/>, each checked on its own (not against the other models).</summary>
    public static List<ModelEntry>? Parse(string text, string path, List<string> problems)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, Options);
        }
        catch (JsonException ex)
        {
            problems.Add($"models file {path} is not JSON: {ex.Message}");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"models file {path}: the top level must be an object of providers ({string.Join(", ", Providers)}), each an array of models");
                return null;
            }

            var entries = new List<ModelEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var provider in root.EnumerateObject())
            {
                if (Array.IndexOf(Providers, provider.Name) < 0)
                {
                    problems.Add($"models file {path}: \"{provider.Name}\" is not a provider; the providers are {string.Join(", ", Providers)}");
                    continue;
                }

                if (!seen.Add(provider.Name))
                {
                    problems.Add($"models file {path}: {provider.Name} appears twice; give its models in one array");
                    continue;
                }

                if (provider.Value.ValueKind != JsonValueKind.Array)
                {
                    problems.Add($"models file {path}: {provider.Name} must be an array of models");
                    continue;
                }

                int index = 0;
                foreach (var model in provider.Value.EnumerateArray())
                {
                    if (EntryOf(provider.Name, index, model, path, problems) is { } entry)
                    {
                        entries.Add(entry);
                    }

                    index++;
                }
            }

            return entries;
        }
    }

    /// <summary>The words a file's <c>capabilities</c> take, as listmodels shows them.</summary>
    public static string CapabilityWords => string.Join(", ", CapabilityNames.Select(c => c.Name));

    private static ModelEntry? EntryOf(string provider, int index, JsonElement model, string path, List<string> problems)
    {
        string where = $"models file {path}: {provider}[{index}]";
        if (model.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{where} must be an object with at least a name");
            return null;
        }

        string? name = model.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString()!.Trim() : null;
        if (string.IsNullOrEmpty(name))
        {
            problems.Add($"{where}: name must be a non-empty string (the name the provider's API takes)");
            return null;
        }

        where += $" \"{name}\"";
        int before = problems.Count;
        var entry = new ModelEntry(provider, index, name);
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in model.EnumerateObject())
        {
            if (!fields.Add(field.Name))
            {
                problems.Add($"{where}: {field.Name} is given twice");
                continue;
            }

            var value = field.Value;
            switch (field.Name)
            {
                case "name":
                    break;
                case "aliases":
                    if (Words(value) is { } aliases)
                    {
                        entry = entry with { Aliases = aliases };
                    }
                    else
                    {
                        problems.Add($"{where}: aliases must be an array of non-empty strings");
                    }

                    break;
                case "context_window":
                    if (PositiveInt(value) is int window)
                    {
                        entry = entry with { ContextWindow = window };
                    }
                    else
                    {
                        problems.Add($"{where}: context_window must be a positive integer (tokens)");
                    }

                    break;
                case "max_output_tokens":
                    if (PositiveInt(value) is int output)
                    {
                        entry = entry with { MaxOutputTokens = output };
                    }
                    else
                    {
                        problems.Add($"{where}: max_output_tokens must be a positive integer (tokens)");
                    }

                    break;
                case "capabilities":
                    entry = entry with { Capabilities = CapabilitiesOf(value, where, problems) };
                    break;
                case "auto":
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        entry = entry with { Auto = value.GetBoolean() };
                    }
                    else
                    {
                        problems.Add($"{where}: auto must be true or false (whether auto may pick the model)");
                    }

                    break;
                default:
                    problems.Add($"{where}: unknown field \"{field.Name}\"; the fields are {string.Join(", ", Fields)}");
                    break;
            }
        }

        return problems.Count == before ? entry : null;
    }

    private static string[]? Words(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var words = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Trim() is not { Length: > 0 } word)
            {
                return null;
            }

            words.Add(word);
        }

        return [.. words];
    }

    private static int? PositiveInt(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n > 0 ? n : null;

    private static ModelCapabilities? CapabilitiesOf(JsonElement value, string where, List<string> problems)
    {
        if (Words(value) is not { } words)
        {
            problems.Add($"{where}: capabilities must be an array of words from {CapabilityWords}");
            return null;
        }

        var capabilities = ModelCapabilities.None;
        foreach (string word in words)
        {
            int i = Array.FindIndex(CapabilityNames, c => c.Name.Equals(word, StringComparison.OrdinalIgnoreCase));
            if (i < 0)
            {
                problems.Add($"{where}: capabilities: \"{word}\" is not one of {CapabilityWords}");
                continue;
            }

            capabilities |= CapabilityNames[i].Flag;
        }

        return capabilities;
    }
}
