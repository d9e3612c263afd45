using System.Text;

namespace ExaiFast.Tests.Architecture;

/// <summary>
/// The layering of DESIGN.md, read from the compiled assemblies (metadata and method bodies): each project depends only
/// on the projects the design allows (Wire and Core on nothing of ours; the hot path Wire → Server → Core free of the AI
/// layers), and the namespaces inside each project form no cycle except the known ones listed in
/// <see cref="KnownCycleEdges"/>, a list that only shrinks.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>Each project of src/ and the projects of ours it may use (its own namespaces aside).</summary>
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["ExaiFast.Wire"] = [],
        ["ExaiFast.Core"] = [],
        ["ExaiFast.Server"] = ["ExaiFast.Wire", "ExaiFast.Core"],
        ["ExaiFast.Models"] = ["ExaiFast.Core"],
        ["ExaiFast.Tools"] = ["ExaiFast.Core", "ExaiFast.Models"],
        // Redis backs the stores of the layers above: results (Core), shared token spend (Models), threads (Tools).
        ["ExaiFast.Redis"] = ["ExaiFast.Core", "ExaiFast.Models", "ExaiFast.Tools"],
        // The composition root (src/ExaiFast) wires everything together.
        ["exaifast"] = ["ExaiFast.Wire", "ExaiFast.Core", "ExaiFast.Server", "ExaiFast.Models", "ExaiFast.Tools", "ExaiFast.Redis"],
    };

    /// <summary>
    /// Every edge that lies on a namespace cycle and is known, with why it is still there: none. An edge would leave this
    /// list when the cycle it is on is broken (the test then says so). Nothing is ever added to it.
    /// </summary>
    private static readonly KnownCycleEdge[] KnownCycleEdges = [];

    private static readonly Lazy<IReadOnlyList<TypeDependency>> s_dependencies = new(() =>
        [.. s_allowed.Keys.SelectMany(a => TypeDependencies.Read(PathOf(a), "ExaiFast"))]);

    [Fact]
    public void EveryProject_DependsOnlyOnTheProjectsTheDesignAllows()
    {
        var report = new StringBuilder();
        foreach (var wrong in s_dependencies.Value
            .Where(d => d.To.Assembly != d.From.Assembly && s_allowed.ContainsKey(d.To.Assembly)
                && !s_allowed[d.From.Assembly].Contains(d.To.Assembly))
            .GroupBy(d => (d.From.Assembly, d.To.Assembly)))
        {
            report.AppendLine($"{wrong.Key.Item1} must not use {wrong.Key.Item2}, but:");
            foreach (var d in wrong.Take(5))
                report.AppendLine($"  {d.From} uses {d.To}");
        }

        Assert.True(report.Length == 0, report.ToString());
    }

    [Fact]
    public void NamespacesInsideEachProject_FormNoCycleButTheKnownOnes()
    {
        var report = new StringBuilder();
        var known = KnownCycleEdges.Select(e => (e.From, e.To)).ToHashSet();
        var onAnyCycle = new HashSet<(string, string)>();
        foreach (var assembly in s_allowed.Keys)
        {
            var graph = new NamespaceGraph(s_dependencies.Value, assembly);
            var onCycles = graph.EdgesOnCycles();
            onAnyCycle.UnionWith(onCycles);
            foreach (var (from, to) in onCycles.Where(e => !known.Contains(e)))
            {
                report.AppendLine($"New cycle: {from} uses {to}, and {to} already reaches back to {from} "
                    + $"(namespaces on the cycle: {string.Join(", ", graph.CycleOf(from))}). The dependency:");
                foreach (var d in graph.Because(from, to).Take(5))
                    report.AppendLine($"  {d.From} uses {d.To}");
            }
        }
        foreach (var stale in KnownCycleEdges.Where(e => !onAnyCycle.Contains((e.From, e.To))))
            report.AppendLine($"Known cycle edge {stale.From} → {stale.To} is on no cycle any more: remove it from {nameof(KnownCycleEdges)}.");

        Assert.True(report.Length == 0, report.ToString());
    }

    private static string PathOf(string assembly)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing: the test project must reference every project of src/.");
        return path;
    }

    /// <summary>A dependency between two namespaces of one project that lies on a cycle, and why it is still there.</summary>
    private sealed record KnownCycleEdge(string From, string To, string Why);
}
