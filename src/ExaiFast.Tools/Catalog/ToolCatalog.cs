using ExaiFast.Core.Tools;

namespace ExaiFast.Tools.Catalog;

/// <summary>
/// The tools offered, in their <c>list_tools</c> order, looked up by name with the EX-AI suffixes stripped; a tool the
/// <see cref="ToolSelection"/> leaves out is neither listed nor found, only explained (<see cref="DisabledBy"/>).
/// </summary>
/// <remarks>Immutable after construction; thread-safe.</remarks>
public sealed class ToolCatalog : IToolCatalog
{
    private static readonly string[] Suffixes = ["_EXAI-WS", "-EXAI-WS", "_EXAI_WS", "-EXAI_WS"];
    private readonly Dictionary<string, ITool>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly Dictionary<string, string> _disabledBy;

    /// <summary>Creates the catalog of every tool in <paramref name="tools"/>; names must be unique.</summary>
    public ToolCatalog(IEnumerable<ITool> tools)
        : this(tools, ToolSelection.Full)
    {
    }

    /// <summary>Creates the catalog of the tools in <paramref name="tools"/> that <paramref name="selection"/> keeps.</summary>
    public ToolCatalog(IEnumerable<ITool> tools, ToolSelection selection)
    {
        var every = tools.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        _disabledBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tool in every)
        {
            if (selection.DisabledBy(tool.Name) is { } setting)
            {
                _disabledBy.Add(tool.Name, setting);
            }
        }

        All = [.. every.Where(t => !_disabledBy.ContainsKey(t.Name))];
        _bySpan = All.ToDictionary(t => t.Name, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <inheritdoc />
    public IReadOnlyList<ITool> All { get; }

    /// <inheritdoc />
    public bool TryGet(string name, out ITool tool) => TryGet(name.AsSpan(), out tool);

    /// <inheritdoc />
    public bool TryGet(ReadOnlySpan<char> name, out ITool tool) => _bySpan.TryGetValue(Strip(name), out tool!);

    /// <inheritdoc />
    public string? DisabledBy(string name) =>
        _disabledBy.Count > 0 && _disabledBy.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(Strip(name.AsSpan()), out string? setting) ? setting : null;

    private static ReadOnlySpan<char> Strip(ReadOnlySpan<char> name)
    {
        foreach (string suffix in Suffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }
}
