using System.Diagnostics;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Core.Dispatch;

public sealed partial class Dispatcher
{
    /// <summary>A lane's slot runs one call. Every outcome goes through <see cref="Complete"/>.</summary>
    private async Task RunAsync(ToolCall call)
    {
        try
        {
            if (call.TryStart())
            {
                await ExecuteAsync(call).ConfigureAwait(false);
            }

            // else: completed while queued (cancel, timeout, shutdown), already answered
        }
        finally
        {
            call.Release(); // the slot's hold: the tool is done with the arguments and the token
        }
    }

    // RunAsync catches everything a tool throws; only a bug of ours gets here, and the lane's slot goes on regardless.
    private void LaneFault(Exception ex) => DispatchLog.LaneFailed(_logger, ex);

    private async Task ExecuteAsync(ToolCall call)
    {
        call.StartedAt = _time.GetTimestamp();
        Activity.Current = call.Span; // the provider's spans become its children; this async method's end restores the slot's own
        CallResult result;
        try
        {
            var output = await call.Tool.ExecuteAsync(new ToolContext(call), call.Token).ConfigureAwait(false);
            result = new CallResult { Text = output.Text, Content = output.Content, Provider = output.Provider, Model = output.Model, Route = output.Route, ContinuationId = output.ContinuationId, Usage = output.Usage };
        }
        catch (OperationCanceledException) when (call.Token.IsCancellationRequested)
        {
            result = ResultForCancellation(call);
        }
        catch (ToolArgumentException ex)
        {
            result = CallResult.Failed(ErrorCodes.InvalidArguments, ex.Message);
        }
        catch (LaneFullException ex)
        {
            result = CallResult.Failed(ErrorCodes.OverCapacity, ex.Message, ex.RetryAfterSeconds);
        }
        catch (ProviderException ex)
        {
            result = CallResult.Failed(ex.Unavailable ? ErrorCodes.ProviderUnavailable : ErrorCodes.ProviderError, ex.Message, ex.RetryAfterSeconds);
        }
        catch (BudgetExceededException ex)
        {
            result = CallResult.Failed(ErrorCodes.BudgetExceeded, ex.Message, ex.RetryAfterSeconds);
        }
        catch (StoreUnavailableException ex)
        {
            result = CallResult.Failed(ErrorCodes.StoreUnavailable, ex.Message, ex.RetryAfterSeconds);
        }
        catch (Exception ex)
        {
            // Details stay in the log; the client learns only that it was our fault.
            DispatchLog.ToolFailed(_logger, call.Tool.Name, call.Key.RequestId, call.Key.Caller, call.Lane, ErrorCodes.InternalError, ex);
            result = CallResult.Failed(ErrorCodes.InternalError, "the tool failed unexpectedly; see the daemon's log");
        }

        Complete(call, result);
    }

    /// <summary>The one exit of every call: leaves the in-flight table, releases its limits, stores and delivers the result.</summary>
    internal void Complete(ToolCall call, CallResult result) => Finish(call, result, passOnSlots: true);

    /// <summary>The key's entry becomes its result (kept for the TTL), or goes when its requester never asks again.</summary>
    private void Settle(CallKey key, ToolCall call, CallResult result, bool keepsResult)
    {
        if (!keepsResult)
        {
            _table.Unregister(key, call);
        }
        else
        {
            _table.StoreResult(key, call, result);
            _shared?.Stored(key, result); // REDIS_URL: queued for the other daemons; one null test without it
        }
    }

    /// <summary>
    /// Completes <paramref name="call"/> unless it has already ended (then false). Its caller slot and count are given
    /// back (or handed to a waiter) when <paramref name="passOnSlots"/>; otherwise the caller passes them on itself.
    /// </summary>
    private bool Finish(ToolCall call, CallResult result, bool passOnSlots)
    {
        long now = _time.GetTimestamp();
        double queueMs = call.StartedAt == 0 ? _time.GetElapsedTime(call.AdmittedAt, now).TotalMilliseconds : _time.GetElapsedTime(call.AdmittedAt, call.StartedAt).TotalMilliseconds;
        double runMs = call.StartedAt == 0 ? 0 : _time.GetElapsedTime(call.StartedAt, now).TotalMilliseconds;
        // Every path hands Complete a result object of its own, so the timings are stamped before publication
        // (one object per call instead of a `with` copy); a losing concurrent Complete only stamps its own object.
        result.StampTimes(Math.Round(queueMs, 3), Math.Round(runMs, 3));
        if (!call.TryComplete(result))
        {
            return false; // someone else completed it
        }

        if (call.Span is { } span)
        {
            CallSpan.End(span, call, result);
        }

        ref readonly var subscriptions = ref call.CompletedSubscriptions;
        for (int i = 0; i < subscriptions.Count; i++)
        {
            if (subscriptions.IsFirstOfKey(i))
            {
                Settle(subscriptions[i].Key, call, result, subscriptions[i].Ticket.KeepsResult); // the call's entry becomes its result's, in place
            }
        }

        if (call.FlightKey is not null)
        {
            _flights.Remove(call.FlightKey.Value, call);
        }

        if (call.StartedAt == 0 && _lanes.TryGetValue(call.Lane, out var lane))
        {
            lane.Forget(call); // it may still be in its lane's queue, where it no longer counts
        }

        // Before the listeners hear of it: a client that sends its next call on seeing this result finds the slot free.
        if (call.HoldsSlots)
        {
            if (passOnSlots)
            {
                PassOnSlots(call.Key.Caller);
            }
        }
        else if (_callers.RemoveWaiter(call.Key.Caller, call))
        {
            call.Release(); // it ended while waiting for a slot of its caller: none will run it
        }

        if (_metrics is { } m)
        {
            var series = m.For(call.Tool.Name);
            Outcome(series, result).Inc();
            m.QueueSeconds.Observe(queueMs / 1000);
            m.Latency.Record(queueMs + runMs);
            if (runMs > 0)
            {
                series.RunSeconds.Observe(runMs / 1000);
            }
        }

        DispatchLog.CallEnded(_logger, call.Key.RequestId, call.Key.Caller, call.Tool.Name, call.Lane, result.Error?.Code ?? "ok", result.QueueMs, result.RunMs);
        for (int i = 0; i < subscriptions.Count; i++)
        {
            Answer(call, subscriptions[i], result);
        }

        call.Release(); // the completion's hold
        return true;
    }

    /// <summary>Completes a request's ticket: the one place an answer leaves the dispatcher.</summary>
    private void Answer(ToolCall call, Subscription subscription, CallResult result)
    {
        try
        {
            subscription.Ticket.TryComplete(result);
        }
        catch (Exception ex)
        {
            DispatchLog.ListenerFailed(_logger, result.Error?.Code ?? "ok", subscription.Key.RequestId, subscription.Key.Caller, call.Tool.Name, call.Lane, ex);
        }
    }

    private static CallResult ResultForCancellation(ToolCall call) => call.CancelReason switch
    {
        CancelReason.Client => CallResult.Failed(ErrorCodes.Cancelled, "cancelled by the client"),
        CancelReason.Disconnected => CallResult.Failed(ErrorCodes.Cancelled, "the client disconnected and did not come back within the grace period"),
        CancelReason.Shutdown => CallResult.Failed(ErrorCodes.ShuttingDown, "the daemon shut down before the call finished"),
        _ => CallResult.Failed(ErrorCodes.Timeout, $"the call did not finish within {call.Timeout.TotalSeconds:0.###} s"),
    };

    private static Prometheus.Counter.Child Outcome(ToolSeries series, CallResult result) => result.Error?.Code switch
    {
        null => series.Ok,
        ErrorCodes.Timeout => series.Timeout,
        ErrorCodes.Cancelled => series.Cancelled,
        _ => series.Error,
    };

    /// <summary>Progress heartbeats for running calls, result expiry, and gauges — one timer for all calls.</summary>
    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(_options.ProgressInterval, _time);
        while (await timer.WaitForNextTickAsync(_heartbeatStop.Token).ConfigureAwait(false))
        {
            foreach (var (key, call) in _table.Calls)
            {
                if (call.IsRunning && call.IsPrimaryKey(key)) // once per execution, even if its first key was cancelled
                {
                    call.ReportProgress(default); // a heartbeat
                }
            }

            _table.Sweep();
            _callers.Sweep();
        }
    }

    /// <summary>
    /// Reads the heap every <see cref="Options.DispatcherOptions.MemoryCheckInterval"/>; at or above the high-water mark, trims
    /// stored results to a quarter of the store's capacity (oldest first). Refusal at the critical mark is in Submit.
    /// </summary>
    private async Task WatchMemoryAsync()
    {
        using var timer = new PeriodicTimer(_options.MemoryCheckInterval, _time);
        while (await timer.WaitForNextTickAsync(_heartbeatStop.Token).ConfigureAwait(false))
        {
            var before = _memory.Level;
            var level = _memory.Check(busy: Inflight > 0);
            if (level != before)
            {
                DispatchLog.MemoryPressureChanged(_logger, before, level, _memory.HeapBytes >> 20, _memory.Marks.HighWater >> 20, _memory.Marks.Critical >> 20);
            }

            if (level != MemoryPressure.Normal)
            {
                int dropped = _table.Sweep(trimTo: _options.ResultStoreCapacity / 4);
                _metrics?.TrimmedResults.Inc(dropped);
                foreach (var listener in Volatile.Read(ref _pressureListeners))
                {
                    try
                    {
                        listener.OnMemoryPressure(level);
                    }
                    catch (Exception ex)
                    {
                        DispatchLog.PressureListenerFailed(_logger, listener.GetType().Name, ex); // the watch goes on
                    }
                }
            }
        }
    }

    private void UpdateGauges()
    {
        var m = _metrics!;
        m.MemoryPressure.Set((int)_memory.Level);
        m.HeapBytes.Set(_memory.HeapBytes);
        m.CommittedBytes.Set(_memory.CommittedBytes);
        m.MemoryHighWater.Set(_memory.Marks.HighWater);
        m.MemoryCritical.Set(_memory.Marks.Critical);
        m.MemoryCompactions.IncTo(_memory.Compactions);
        m.StoredResults.Set(_table.StoredCount);
        m.Inflight.Set(Inflight);
        m.CallerWaiting.Set(_callers.Waiting);
        foreach (var lane in _lanes.Values)
        {
            m.Queued.WithLabels(lane.Name).Set(lane.Queued);
            m.Busy.WithLabels(lane.Name).Set(lane.Busy);
        }
    }

    private static partial class DispatchLog
    {
        [LoggerMessage(100, LogLevel.Error, "Tool {Tool} failed on request {RequestId} of session {SessionId} in lane {Lane}: the call ends {Outcome}")]
        public static partial void ToolFailed(ILogger logger, string tool, string requestId, string sessionId, string lane, string outcome, Exception exception);

        // One line per call at Debug, with every field an operator filters by (the JSON format makes each a field).
        [LoggerMessage(105, LogLevel.Debug, "Call {RequestId} of session {SessionId}: {Tool} in lane {Lane} ended {Outcome} ({QueueMs} ms queued, {RunMs} ms running)")]
        public static partial void CallEnded(ILogger logger, string requestId, string sessionId, string tool, string lane, string outcome, double queueMs, double runMs);

        [LoggerMessage(104, LogLevel.Error, "A memory-pressure listener ({Listener}) failed")]
        public static partial void PressureListenerFailed(ILogger logger, string listener, Exception exception);

        [LoggerMessage(101, LogLevel.Error, "A front door failed while taking the result ({Outcome}) of call {RequestId} of session {SessionId}: {Tool} in lane {Lane}")]
        public static partial void ListenerFailed(ILogger logger, string outcome, string requestId, string sessionId, string tool, string lane, Exception exception);

        [LoggerMessage(103, LogLevel.Critical, "A lane's slot caught an exception that its call's completion let out; the call may be unanswered")]
        public static partial void LaneFailed(ILogger logger, Exception exception);

        [LoggerMessage(102, LogLevel.Warning, "Memory pressure {Before} -> {After}: managed heap {HeapMb} MB (high-water {HighMb} MB, critical {CriticalMb} MB)")]
        public static partial void MemoryPressureChanged(ILogger logger, MemoryPressure before, MemoryPressure after, long heapMb, long highMb, long criticalMb);
    }
}
