using System.Text.Json;

namespace ExaiFast.Core.Tools;

/// <summary>Everything a tool knows about one call; valid while <see cref="ITool.ExecuteAsync"/> runs.</summary>
/// <remarks>A struct over the call itself: handing it to a tool allocates nothing.</remarks>
public readonly struct ToolContext
{
    private readonly IRunningCall _call;

    internal ToolContext(IRunningCall call) => _call = call;

    /// <summary>The validated arguments (an object).</summary>
    public JsonElement Arguments => _call.Arguments;

    /// <summary>
    /// What the tool's own validation decided for this call (<see cref="ToolValidation.Plan"/>: the route a model-backed
    /// tool chose, say), so that the run does not decide it again; null when the call was submitted without one.
    /// </summary>
    public object? Plan => _call.Plan;

    /// <summary>The lane the call runs in: the provider chosen at validation, or the one it last moved to (<see cref="EnterLaneAsync"/>).</summary>
    public string Lane => _call.Lane;

    /// <summary>
    /// Moves the call into <paramref name="lane"/> (a provider's lane), so that the provider that serves it is the one
    /// whose limit it counts against — after a fallback to another provider, say. Its slot in the current lane is given
    /// back; it takes a free slot of <paramref name="lane"/>, or waits in that lane's queue on the call's own deadline and
    /// token. Nothing happens when it is already there.
    /// </summary>
    /// <exception cref="LaneFullException">Every slot of <paramref name="lane"/> is taken and its queue is full; the call
    /// stays where it was. Left to the dispatcher, it becomes OVER_CAPACITY.</exception>
    /// <exception cref="OperationCanceledException">The call ended (deadline, cancel, disconnect, shutdown) while it waited.</exception>
    /// <remarks>One hop at a time, from the call's own flow.</remarks>
    public ValueTask EnterLaneAsync(string lane) => _call.EnterLaneAsync(lane);

    /// <summary>
    /// Takes one more slot of <paramref name="lane"/> for a request the call makes beside its own work (consensus asks
    /// several providers at once: each request counts against its provider's limit). Dispose the lease when the request
    /// ends. Waits in that lane's queue, on <paramref name="cancellationToken"/>, when every slot is taken.
    /// </summary>
    /// <remarks>Never borrow from the lane the call itself runs in: with one slot, it would wait for itself.</remarks>
    /// <exception cref="LaneFullException">Every slot of <paramref name="lane"/> is taken and its queue is full.</exception>
    public ValueTask<LaneLease> BorrowLaneAsync(string lane, CancellationToken cancellationToken) => _call.BorrowLaneAsync(lane, cancellationToken);

    /// <summary>The client's request id.</summary>
    public string RequestId => _call.RequestId;

    /// <summary>What the call's model requests have spent, for the token budgets; one per call.</summary>
    public CallSpend Spend => _call.Spend;

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
