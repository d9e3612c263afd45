using ExaiFast.Core.Tools;

namespace ExaiFast.Tools;

/// <summary>The tools in their <c>list_tools</c> order, looked up by name with the EX-AI suffixes stripped.</summary>
/// <remarks>Immutable after construction; thread-safe.</remarks>
public sealed class ToolCatalog : IToolCatalog
{
    private static readonly string[] Suffixes = ["_EXAI-WS", "-EXAI-WS", "_EXAI_WS", "-EXAI_WS"];
    private readonly Dictionary<string, ITool> _byName;
    private readonly Dictionary<string, ITool>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    /// <summary>Creates the catalog; names must be unique.</summary>
    public ToolCatalog(IEnumerable<ITool> tools)
    {
        All = [.. tools.OrderBy(t => t.Name, StringComparer.Ordinal)];
        _byName = All.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _bySpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <inheritdoc />
    public IReadOnlyList<ITool> All { get; }

    /// <inheritdoc />
    public bool TryGet(string name, out ITool tool) => TryGet(name.AsSpan(), out tool);

    /// <inheritdoc />
    public bool TryGet(ReadOnlySpan<char> name, out ITool tool)
    {
        foreach (string suffix in Suffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                name = name[..^suffix.Length];
                break;
            }
        }

        return _bySpan.TryGetValue(name, out tool!);
    }
}
