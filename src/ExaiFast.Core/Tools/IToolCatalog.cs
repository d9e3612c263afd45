namespace ExaiFast.Core.Tools;

/// <summary>The daemon's tools: listing in a fixed order and lookup by name (protocol suffixes stripped).</summary>
public interface IToolCatalog
{
    /// <summary>Every tool, in the order <c>list_tools</c> shows them.</summary>
    IReadOnlyList<ITool> All { get; }

    /// <summary>Finds a tool by name; accepts the EX-AI suffixes <c>_EXAI-WS</c>, <c>-EXAI-WS</c>, <c>_EXAI_WS</c>, <c>-EXAI_WS</c>.</summary>
    bool TryGet(string name, out ITool tool);

    /// <summary>As <see cref="TryGet(string, out ITool)"/>, for a name that is not a string yet (the frame path allocates none).</summary>
    bool TryGet(ReadOnlySpan<char> name, out ITool tool);

    /// <summary>
    /// For a name <see cref="TryGet(string, out ITool)"/> did not find: the setting that turned the tool off
    /// (<c>DISABLED_TOOLS</c>, <c>EXAIFAST_TOOLS=lean</c>), or null when there is no such tool at all.
    /// </summary>
    string? DisabledBy(string name);
}
