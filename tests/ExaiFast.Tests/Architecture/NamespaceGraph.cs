namespace ExaiFast.Tests.Architecture;

/// <summary>The namespaces of one assembly and which of them use which, with the type dependencies behind each edge.</summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<(string From, string To), List<TypeDependency>> _edges = [];
    private readonly SortedSet<string> _namespaces = new(StringComparer.Ordinal);

    public NamespaceGraph(IEnumerable<TypeDependency> dependencies, string assembly)
    {
        foreach (var d in dependencies)
        {
            if (d.From.Assembly != assembly)
                continue;
            _namespaces.Add(d.From.Namespace);
            if (d.To.Assembly != assembly || d.To.Namespace == d.From.Namespace)
                continue;
            _namespaces.Add(d.To.Namespace);
            var key = (d.From.Namespace, d.To.Namespace);
            if (!_edges.TryGetValue(key, out var because))
                _edges[key] = because = [];
            because.Add(d);
        }
    }

    /// <summary>The type dependencies behind the edge, or none.</summary>
    public IReadOnlyList<TypeDependency> Because(string from, string to) =>
        _edges.TryGetValue((from, to), out var because) ? because : [];

    /// <summary>Every edge that lies on a cycle, i.e. joins two namespaces of one strongly connected component.</summary>
    public IReadOnlyList<(string From, string To)> EdgesOnCycles()
    {
        var component = Components();
        return [.. _edges.Keys
            .Where(e => component[e.From] == component[e.To])
            .OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal)];
    }

    /// <summary>The namespaces of the cycle <paramref name="ns"/> is part of (just itself if it is on none).</summary>
    public IReadOnlyList<string> CycleOf(string ns)
    {
        var component = Components();
        return component.TryGetValue(ns, out var c) ? [.. component.Where(p => p.Value == c).Select(p => p.Key).Order(StringComparer.Ordinal)] : [ns];
    }

    /// <summary>Tarjan's strongly connected components: namespace → component number.</summary>
    private Dictionary<string, int> Components()
    {
        var next = _edges.Keys.ToLookup(e => e.From, e => e.To);
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var onStack = new HashSet<string>();
        var stack = new Stack<string>();
        var component = new Dictionary<string, int>();
        int counter = 0, components = 0;

        void Visit(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in next[v])
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }
            if (low[v] != index[v])
                return;
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component[x] = components;
            }
            while (x != v);
            components++;
        }

        foreach (var v in _namespaces)
            if (!index.ContainsKey(v))
                Visit(v);
        return component;
    }
}
