using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>
/// A tool that walks a path of lanes (<c>path</c>: lane names, each entered with <see cref="ToolContext.EnterLaneAsync"/>),
/// stopping at the lanes listed in <c>wait</c> until the test opens that stop; it counts the executions in each lane at
/// once, so a test can see that no lane ever runs more than its slots. Its answer is the lane it ended in.
/// </summary>
internal sealed class HopTool : ITool
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _reached = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBoxes> _lanes = new(StringComparer.Ordinal);

    public string Name => "hop";

    public string Description => "walks lanes";

    public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

    public bool Coalescable => false;

    public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn(arguments.TryGetProperty("lane", out var l) ? l.GetString()! : "a");

    /// <summary>Completes when call <paramref name="id"/> has entered <paramref name="lane"/> (its stop there, if it waits).</summary>
    public Task ReachedAsync(string id, string lane) => Stop(_reached, id, lane).Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    /// <summary>Lets call <paramref name="id"/> go on from its stop in <paramref name="lane"/>.</summary>
    public void Open(string id, string lane) => Stop(_gates, id, lane).TrySetResult();

    /// <summary>The most executions in <paramref name="lane"/> at once.</summary>
    public int MaxIn(string lane) => _lanes.TryGetValue(lane, out var b) ? Volatile.Read(ref b.Max) : 0;

    public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var args = context.Arguments;
        string id = args.GetProperty("id").GetString()!;
        string[] path = args.TryGetProperty("path", out var p) ? [.. p.EnumerateArray().Select(e => e.GetString()!)] : [];
        var waits = args.TryGetProperty("wait", out var w) ? w.EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal) : [];
        bool yields = args.TryGetProperty("yield", out _);

        await StayAsync(context.Lane, id, waits, yields, cancellationToken);
        foreach (string lane in path)
        {
            await context.EnterLaneAsync(lane);
            if (context.Lane != lane)
            {
                throw new InvalidOperationException($"entered {lane} but the context says {context.Lane}");
            }

            await StayAsync(lane, id, waits, yields, cancellationToken);
        }

        return new ToolOutput(context.Lane, "local", "hop");
    }

    private async Task StayAsync(string lane, string id, HashSet<string> waits, bool yields, CancellationToken cancellationToken)
    {
        var box = _lanes.GetOrAdd(lane, _ => new StrongBoxes());
        int now = Interlocked.Increment(ref box.Running);
        for (int max = Volatile.Read(ref box.Max); now > max && Interlocked.CompareExchange(ref box.Max, now, max) != max; max = Volatile.Read(ref box.Max))
        {
        }

        try
        {
            Stop(_reached, id, lane).TrySetResult();
            if (waits.Contains(lane))
            {
                await Stop(_gates, id, lane).Task.WaitAsync(cancellationToken);
            }

            if (yields)
            {
                await Task.Yield();
            }
        }
        finally
        {
            Interlocked.Decrement(ref box.Running);
        }
    }

    private static TaskCompletionSource Stop(ConcurrentDictionary<string, TaskCompletionSource> stops, string id, string lane) =>
        stops.GetOrAdd(id + "@" + lane, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class StrongBoxes
    {
        public int Running;
        public int Max;
    }
}
