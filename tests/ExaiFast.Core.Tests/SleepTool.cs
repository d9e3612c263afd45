using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Tests;

/// <summary>A real tool for dispatcher tests: waits <c>ms</c> (honouring cancellation), echoes <c>text</c>, counts what happened.</summary>
internal sealed class SleepTool(string name = "sleep", bool coalescable = true) : ITool
{
    private int _started;
    private int _cancelled;

    public string Name => name;

    public string Description => "sleeps, then echoes";

    public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

    public bool Coalescable => coalescable;

    public int Started => Volatile.Read(ref _started);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public ToolValidation Validate(JsonElement arguments) => ToolValidation.RunIn("local");

    public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        int ms = context.Arguments.TryGetProperty("ms", out var m) ? m.GetInt32() : 0;
        try
        {
            if (ms > 0)
            {
                context.ReportProgress("sleeping");
                await Task.Delay(ms, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }

        if (context.Arguments.TryGetProperty("fail", out _))
        {
            throw new InvalidOperationException("secret internal detail");
        }

        return new ToolOutput(context.Arguments.TryGetProperty("text", out var t) ? t.GetString()! : "done", "local", "sleep-model");
    }
}
