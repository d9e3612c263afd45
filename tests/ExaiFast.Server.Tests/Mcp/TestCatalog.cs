using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>A catalog of the given tools, found by exact name.</summary>
internal sealed class TestCatalog(params ITool[] tools) : IToolCatalog
{
    public IReadOnlyList<ITool> All => tools;

    public bool TryGet(string name, out ITool tool) => TryGet(name.AsSpan(), out tool);

    public bool TryGet(ReadOnlySpan<char> name, out ITool tool)
    {
        foreach (var t in tools)
        {
            if (name.SequenceEqual(t.Name))
            {
                tool = t;
                return true;
            }
        }

        tool = null!;
        return false;
    }

    public string? DisabledBy(string name) => null;
}
