using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>A real tool for dispatcher tests: waits <c>ms</c> (honouring cancellation), echoes <c>text</c>, counts what happened.</summary>
internal sealed class SleepTool(string name = "sleep", bool coalescable = true) : ITool
{
    private int _started;
    private int _cancelled;
    private int _running;
    private int _maxRunning;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _startOrder = new();
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;

    public string Description => "sleeps, then echoes";

    public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

    public bool Coalescable => coalescable;

    public int Started => Volatile.Read(ref _started);

    /// <summary>Lets every call with <c>"gate": true</c> go on (they wait for this, however long their test takes to get here).</summary>
    public void OpenGate() => _gate.TrySetResult();

    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>The most executions running at once.</summary>
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    /// <summary>The <c>text</c> argument of each execution, in the order they started.</summary>
    public IReadOnlyList<string> StartOrder => [.. _startOrder];

    public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

    public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        int running = Interlocked.Increment(ref _running);
        for (int max = Volatile.Read(ref _maxRunning); running > max && Interlocked.CompareExchange(ref _maxRunning, running, max) != max; max = Volatile.Read(ref _maxRunning))
        {
        }

        _startOrder.Enqueue(context.Arguments.TryGetProperty("text", out var label) ? label.GetString()! : "");
        int ms = context.Arguments.TryGetProperty("ms", out var m) ? m.GetInt32() : 0;
        try
        {
            if (context.Arguments.TryGetProperty("gate", out _))
            {
                await _gate.Task.WaitAsync(cancellationToken);
            }

            if (ms > 0)
            {
                context.ReportProgress("sleeping");
                // "deaf": a tool that ignores its token (the deadline still answers the client; the worker stays busy).
                await Task.Delay(ms, context.Arguments.TryGetProperty("deaf", out _) ? CancellationToken.None : cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }

        if (context.Arguments.TryGetProperty("fail", out _))
        {
            throw new InvalidOperationException("secret internal detail");
        }

        return new ToolOutput(context.Arguments.TryGetProperty("text", out var t) ? t.GetString()! : "done", "local", "sleep-model");
    }
}
