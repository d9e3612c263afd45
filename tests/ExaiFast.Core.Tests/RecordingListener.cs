using System.Collections.Concurrent;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>Collects what a listener is told; counts completions per key so "exactly one" can be checked.</summary>
internal sealed class RecordingListener : ICompletionListener
{
    private readonly ConcurrentDictionary<CallKey, TaskCompletionSource<CallResult>> _results = new();
    private readonly ConcurrentDictionary<CallKey, int> _completions = new();

    public int ProgressCount;

    public void OnProgress(CallKey key, ToolCall call, ProgressReport progress) => Interlocked.Increment(ref ProgressCount);

    public void OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk)
    {
    }

    public void OnCompleted(CallKey key, ToolCall call, CallResult result)
    {
        _completions.AddOrUpdate(key, 1, (_, n) => n + 1);
        Slot(key).TrySetResult(result);
    }

    public Task<CallResult> ResultAsync(CallKey key) => Slot(key).Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    public int CompletionsOf(CallKey key) => _completions.GetValueOrDefault(key);

    public int TotalCompletions => _completions.Values.Sum();

    private TaskCompletionSource<CallResult> Slot(CallKey key) => _results.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
}
