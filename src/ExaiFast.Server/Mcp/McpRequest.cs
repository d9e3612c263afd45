using System.Diagnostics;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Mcp;

/// <summary>A <c>tools/call</c> in flight in one MCP session, and the listener of its call's progress.</summary>
/// <remarks>A class, not a record: two requests are the same only if they are the same object (the id map removes by it).</remarks>
internal sealed class McpRequest : ICallListener
{
    // Progress a client can use, not a flood: at most one notification per interval (a tool reporting in a tight loop
    // would otherwise fill the transport and delay the response behind them).
    private static readonly TimeSpan MinProgressInterval = TimeSpan.FromMilliseconds(50);

    // State and progress, under the gate: heartbeats and the tool's reports can come from two threads, and a cancel or
    // the answer from a third. A notification is queued under it too, so none can follow the cancel or the answer.
    private readonly Lock _gate = new();

    // Progress state (heartbeats and the tool's reports can come from two threads).
    private double _lastProgress;
    private long _lastProgressAt;
    private bool _progressSent;
    private bool _toolScale;
    private int _state; // 0 running, 1 cancelled, 2 answered
    private readonly TimeProvider _time; // the system's; a test's own clock checks the interval exactly

    internal McpRequest(McpSession session, string rawId, string? progressToken, CallKey key, long sequence, IMcpReply reply, TimeProvider? time = null, McpDialect dialect = default)
    {
        _time = time ?? TimeProvider.System;
        Dialect = dialect;
        Session = session;
        RawId = rawId;
        ProgressToken = progressToken;
        Key = key;
        Sequence = sequence;
        Reply = reply;
    }

    /// <summary>How its answer is written: its revision's tool fields, and whether it is a modern request.</summary>
    public McpDialect Dialect { get; }

    /// <summary>The key of its call when the call runs as a task (<see cref="McpTasks"/>); null otherwise.</summary>
    internal Core.Calls.CallKey? TaskKey { get; set; }

    /// <summary>The session it belongs to.</summary>
    public McpSession Session { get; }

    /// <summary>The JSON-RPC id as it came (raw JSON: a string keeps its quotes), echoed in the response.</summary>
    public string RawId { get; }

    /// <summary>The client's <c>_meta.progressToken</c> as raw JSON, if it asked for progress.</summary>
    public string? ProgressToken { get; }

    /// <summary>The call's key: session id and a request id unique within the session (never reused, unlike JSON-RPC ids).</summary>
    public CallKey Key { get; }

    /// <summary>Its place among the session's requests, in the order they came.</summary>
    public long Sequence { get; }

    /// <summary>The client's trace context, the parent of the call's span (default when it sent none or nobody traces).</summary>
    public ActivityContext TraceParent { get; internal set; }

    /// <summary>Where its progress and response go.</summary>
    public IMcpReply Reply { get; }

    /// <summary>Set by <c>notifications/cancelled</c> or the session's end: the call's end sends nothing.</summary>
    public bool Cancelled
    {
        get
        {
            lock (_gate)
            {
                return _state == 1;
            }
        }
    }

    void ICallListener.OnProgress(CallKey key, ToolCall call, ProgressReport progress) => Session.Progress(this, progress);

    void ICallListener.OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk)
    {
        // MCP has no streamed tool output; the result carries the whole text.
    }

    /// <summary>Marks the request cancelled unless it was answered; true if this call did it.</summary>
    internal bool TryCancel() => TryLeaveRunning(1);

    /// <summary>Claims the right to answer; false once cancelled or answered (exactly one final answer).</summary>
    internal bool TryAnswer() => TryLeaveRunning(2);

    /// <summary>
    /// Sends a progress notification for <paramref name="report"/> if the request still runs and the report is due;
    /// under the gate, so that it is queued before a cancel or the answer, or not at all.
    /// </summary>
    internal void TrySendProgress(string token, ProgressReport report)
    {
        lock (_gate)
        {
            if (_state == 0 && TryNextProgress(report, out double progress))
            {
                Reply.TryNotify(McpMessages.Progress(token, progress, report.Total, report.Message)); // droppable, as exai-ws heartbeats
            }
        }
    }

    // Running → cancelled (1) or answered (2), once.
    private bool TryLeaveRunning(int state)
    {
        lock (_gate)
        {
            if (_state != 0)
            {
                return false;
            }

            _state = state;
            return true;
        }
    }

    /// <summary>
    /// The <c>progress</c> value to send for <paramref name="report"/>, or false when it should be skipped. MCP wants the
    /// value to increase with each notification: heartbeats and messages count 1, 2, 3…, until the tool reports numbers
    /// of its own; from then on only those are sent (only the tool knows its next value), and only while they increase.
    /// </summary>
    /// <remarks>
    /// At most one notification per 50 ms, except heartbeats (already one per interval) and a tool's reports that
    /// advance at least 1% of their total or reach it: those are bounded by the total (at most 100 per call), and a
    /// 0/50/100 sequence 50 ms apart is never thinned out because a timer counting whole milliseconds ended its delay
    /// a fraction of a millisecond early by the stopwatch.
    /// </remarks>
    internal bool TryNextProgress(ProgressReport report, out double progress)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            bool due = !_progressSent || _time.GetElapsedTime(_lastProgressAt, now) >= MinProgressInterval;
            if (report.Progress is { } value)
            {
                if (_progressSent && value <= _lastProgress)
                {
                    progress = 0;
                    return false;
                }

                due |= report.Total is { } total && total > 0 && (value >= total || value - _lastProgress >= total / 100);
                progress = value;
            }
            else
            {
                due |= report.IsHeartbeat;
                progress = _progressSent ? _lastProgress + 1 : 1;
                if (_toolScale)
                {
                    return false;
                }
            }

            if (!due)
            {
                return false;
            }

            _toolScale |= report.Progress is not null;
            _progressSent = true;
            _lastProgress = progress;
            _lastProgressAt = now;
            return true;
        }
    }
}
