using System.Text.Json;
using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Tools;

/// <summary>Everything a tool knows about one call; valid while <see cref="ITool.ExecuteAsync"/> runs.</summary>
/// <remarks>A struct over the call itself: handing it to a tool allocates nothing.</remarks>
public readonly struct ToolContext
{
    private readonly ToolCall _call;

    internal ToolContext(ToolCall call) => _call = call;

    /// <summary>The validated arguments (an object).</summary>
    public JsonElement Arguments => _call.Arguments;

    /// <summary>The lane the call runs in (the provider chosen at validation).</summary>
    public string Lane => _call.Lane;

    /// <summary>The client's request id.</summary>
    public string RequestId => _call.Key.RequestId;

    /// <summary>How long the call has left before its deadline, by <paramref name="time"/> (the dispatcher's clock).</summary>
    /// <remarks>A provider uses it to keep its retries (and honoured Retry-After waits) inside the call's deadline.</remarks>
    public TimeSpan TimeLeft(TimeProvider time) => _call.Timeout - time.GetElapsedTime(_call.AdmittedAt);

    /// <summary>Whether the client asked for streamed output.</summary>
    public bool Stream => _call.Stream;

    /// <summary>Reports a progress message to every listener of the call.</summary>
    public void ReportProgress(string message) => _call.ReportProgress(new ProgressReport(message));

    /// <summary>
    /// Reports how far the call is, on the tool's own scale: <paramref name="progress"/> must increase from one report
    /// to the next, and reaches <paramref name="total"/> (if given) at the end. MCP clients see the numbers
    /// (<c>notifications/progress</c>); once a tool reports numbers, its MCP progress is only its own reports.
    /// </summary>
    public void ReportProgress(double progress, double? total = null, string? message = null) =>
        _call.ReportProgress(new ProgressReport(message, progress, total));

    /// <summary>Streams a chunk of output (sent only when <see cref="Stream"/> is true).</summary>
    public void EmitChunk(string chunk) => _call.EmitChunk(chunk);
}
