using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Calls;

/// <summary>One admitted execution of a tool: its arguments, deadline, token, listeners and final result.</summary>
/// <remarks>
/// The state only moves forward — Queued → Running → Completed, or Queued → Completed — by compare-and-swap, so
/// exactly one path completes a call and runs its cleanup (the roadmap's leaked semaphores and never-shrinking
/// in-flight table have no second exit to hide in). Listeners are a copy-on-write array: notifying never locks.
/// </remarks>
public sealed class ToolCall
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Completed = 2;

    private readonly Lock _gate = new();
    private (CallKey Key, ICallListener Listener)[] _listeners;
    private CallKey[] _keys;
    private int _state;
    private int _reason;
    private int _chunkSequence;

    internal ToolCall(CallKey key, ITool tool, JsonElement arguments, string lane, bool stream, TimeSpan timeout, Dispatch.FlightKey? flightKey, long admittedAt, ICallListener listener)
    {
        Key = key;
        Tool = tool;
        Arguments = arguments;
        Lane = lane;
        Stream = stream;
        Timeout = timeout;
        FlightKey = flightKey;
        AdmittedAt = admittedAt;
        Cancellation = new CancellationTokenSource();
        _listeners = [(key, listener)];
        _keys = [key];
    }

    /// <summary>The key the call was admitted under (its first requester).</summary>
    public CallKey Key { get; }

    /// <summary>The tool.</summary>
    public ITool Tool { get; }

    /// <summary>The validated arguments (a private copy that outlives the request frame).</summary>
    public JsonElement Arguments { get; }

    /// <summary>The lane (provider) it runs in.</summary>
    public string Lane { get; }

    /// <summary>Whether output is streamed as it is produced.</summary>
    public bool Stream { get; }

    /// <summary>The deadline, from admission.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The single-flight key, when the call can be shared.</summary>
    internal Dispatch.FlightKey? FlightKey { get; }

    /// <summary>Timestamp (TimeProvider) of admission.</summary>
    public long AdmittedAt { get; }

    /// <summary>Timestamp of the start of execution, 0 while queued.</summary>
    public long StartedAt { get; internal set; }

    /// <summary>Whether a worker is executing it now.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == Running;

    /// <summary>Whether it has ended.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) == Completed;

    /// <summary>Why it was cancelled, if it was.</summary>
    public CancelReason CancelReason => (CancelReason)Volatile.Read(ref _reason);

    /// <summary>The final result, once completed.</summary>
    public CallResult? Result { get; private set; }

    /// <summary>
    /// Every key this execution answers (its own and those attached by single-flight), whether or not a listener is
    /// connected right now: these are its entries in the in-flight table and in the result store.
    /// </summary>
    public IReadOnlyList<CallKey> Keys => Volatile.Read(ref _keys);

    internal CancellationTokenSource Cancellation { get; }

    internal CancellationToken Token => Cancellation.Token;

    /// <summary>Adds a listener; false if the call already completed (the caller then uses the stored result).</summary>
    internal bool TryAttach(CallKey key, ICallListener listener)
    {
        lock (_gate)
        {
            if (IsCompleted)
            {
                return false;
            }

            _listeners = [.. _listeners, (key, listener)];
            if (Array.IndexOf(_keys, key) < 0)
            {
                _keys = [.. _keys, key];
            }

            return true;
        }
    }

    /// <summary>Removes every subscription of <paramref name="listener"/>; returns how many listeners remain.</summary>
    internal int Detach(ICallListener listener)
    {
        lock (_gate)
        {
            _listeners = Array.FindAll(_listeners, l => !ReferenceEquals(l.Listener, listener));
            return _listeners.Length;
        }
    }

    /// <summary>Removes one key (its listeners included) while others keep the execution; returns its listeners.</summary>
    internal (CallKey Key, ICallListener Listener)[]? DetachKey(CallKey key)
    {
        lock (_gate)
        {
            if (IsCompleted || Array.IndexOf(_keys, key) < 0)
            {
                return null;
            }

            var removed = Array.FindAll(_listeners, l => l.Key == key);
            _listeners = Array.FindAll(_listeners, l => l.Key != key);
            _keys = Array.FindAll(_keys, k => k != key);
            return removed;
        }
    }

    internal bool HasListeners => Volatile.Read(ref _listeners).Length > 0;

    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    /// <summary>Moves to Completed exactly once and returns the listeners to notify; null if already completed.</summary>
    internal (CallKey Key, ICallListener Listener)[]? TryComplete(CallResult result)
    {
        lock (_gate)
        {
            if (_state == Completed)
            {
                return null;
            }

            Result = result;
            Volatile.Write(ref _state, Completed);
            return _listeners;
        }
    }

    /// <summary>Records why (first reason wins) and fires the token.</summary>
    internal void Cancel(CancelReason reason)
    {
        Interlocked.CompareExchange(ref _reason, (int)reason, (int)CancelReason.None);
        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // completed and cleaned up meanwhile
        }
    }

    internal void ReportProgress(string? message)
    {
        foreach (var (key, listener) in Volatile.Read(ref _listeners))
        {
            listener.OnProgress(key, this, message);
        }
    }

    internal void EmitChunk(string chunk)
    {
        if (!Stream || IsCompleted)
        {
            return;
        }

        int sequence = Interlocked.Increment(ref _chunkSequence);
        foreach (var (key, listener) in Volatile.Read(ref _listeners))
        {
            listener.OnStreamChunk(key, this, sequence, chunk);
        }
    }
}
