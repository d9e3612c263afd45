using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExaiFast.Redis;

/// <summary>
/// The dispatcher's stored results, shared through Redis: a client that reconnects with its <c>session_id</c> collects its
/// result from whichever daemon it lands on, and a call still running on another daemon is waited for, never run twice.
/// </summary>
/// <remarks>
/// <para>What each side pays (the choice, in short):</para>
/// <list type="bullet">
/// <item>A result, as it is stored locally: one queued <c>SET … PX ttl</c> (fire-and-forget; the completing thread never
/// waits for Redis) and one <c>PEXPIRE</c> of the session's marker. Nothing on <see cref="Dispatcher.Submit"/>.</item>
/// <item>A hello: one <c>SET session GET</c> round trip, which records this daemon as the session's and says whether
/// another daemon served it within the result TTL. Only then ("moved") does a repeated or new request id that this daemon
/// does not know cost a lookup (two pipelined <c>GET</c>s) before it runs; a client that stays on one daemon never waits
/// for Redis.</item>
/// <item>A connection that closes with calls still running: a <c>running</c> marker per orphaned call (owner daemon and
/// deadline). Another daemon that finds it waits for the result — it asks the owner to keep the call for it (the owner
/// would otherwise cancel it after the disconnect grace), listens on <c>exaifast:done</c>, and looks again every
/// progress interval in case a message was lost or the owner went away — instead of running the call a second time.</item>
/// <item>The client's <c>cancel</c> of such a call: one <c>PUBLISH</c> on the owner's cancel channel, which cancels it
/// there as a local cancel would; the waiter then relays the owner's result (<c>CANCELLED</c>, or what the call ended
/// with a moment before), so the client and the store hear one outcome, decided by the owner's dispatcher.</item>
/// </list>
/// <para>Redis down: nothing is written or read (results stay local, calls run here), and nothing waits for it.</para>
/// <para>Thread-safe.</para>
/// </remarks>
internal sealed partial class RedisSharedResults : ISharedResults, ICallListener
{
    private const string ResultPrefix = "exaifast:result:";
    private const string RunningPrefix = "exaifast:running:";
    private const string SessionPrefix = "exaifast:session:";
    private const string DaemonPrefix = "exaifast:daemon:";
    private static readonly RedisChannel DoneChannel = RedisChannel.Literal("exaifast:done");

    // A remote wait gives the owner this long past the call's deadline to publish its TIMEOUT result.
    private static readonly TimeSpan DeadlineSlack = TimeSpan.FromSeconds(5);

    // An owner found subscribed to nothing for this long stopped: longer than the multiplexer takes to reconnect and
    // subscribe again after a dropped connection (a second or two), so an owner whose link blinked is waited for still.
    private static readonly TimeSpan OwnerSilence = TimeSpan.FromSeconds(5);

    private static CallResult OwnerStopped() => CallResult.Failed(ErrorCodes.InternalError,
        "the call was running on another daemon, which stopped before it finished; send it again with a new request_id");

    private readonly RedisConnection _redis;
    private readonly Dispatcher _dispatcher;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _progressInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisChannel _ownChannel;
    private readonly RedisChannel _cancelChannel;
    private readonly ConcurrentDictionary<CallKey, byte> _orphans = new();
    private readonly ConcurrentDictionary<CallKey, TaskCompletionSource> _waiters = new();
    private int _orphanCount;
    private int _subscribed;

    public RedisSharedResults(RedisConnection redis, Dispatcher dispatcher, TimeSpan resultTtl, TimeSpan progressInterval, TimeProvider time, ILogger logger)
    {
        _redis = redis;
        _dispatcher = dispatcher;
        _ttl = resultTtl;
        _progressInterval = progressInterval;
        _time = time;
        _logger = logger;
        DaemonId = Guid.NewGuid().ToString("N")[..12];
        _ownChannel = RedisChannel.Literal(DaemonPrefix + DaemonId);
        _cancelChannel = CancelChannel(DaemonId);
        redis.OnUp(Subscribe);
        Subscribe();
    }

    /// <summary>This daemon's name in Redis (random per process): a restarted daemon is another daemon.</summary>
    public string DaemonId { get; }

    /// <inheritdoc />
    public void Stored(CallKey key, CallResult result)
    {
        if (!_redis.IsUp || _ttl <= TimeSpan.Zero)
        {
            return; // kept here only; a client that comes back elsewhere runs its call again
        }

        try
        {
            var db = _redis.Database;
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(StoredResult.From(result), RedisJson.Default.StoredResult);
            _ = db.StringSetAsync(ResultKey(key), json, _ttl, flags: CommandFlags.FireAndForget);
            _ = db.KeyExpireAsync(SessionPrefix + key.Caller, _ttl, flags: CommandFlags.FireAndForget);
            if (Volatile.Read(ref _orphanCount) > 0 && _orphans.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref _orphanCount);
                // In this order on one connection: whoever hears "done" finds the result.
                _ = db.KeyDeleteAsync(RunningKey(key), CommandFlags.FireAndForget);
                _ = _redis.Subscriber.PublishAsync(DoneChannel, Encode(key), CommandFlags.FireAndForget);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.WriteFailed(_logger, ex.GetType().Name); // Redis went down a moment ago: the result stays local
        }
    }

    /// <inheritdoc />
    public void Orphaned(CallKey key, DateTimeOffset deadline)
    {
        if (!_redis.IsUp)
        {
            return;
        }

        if (_orphans.TryAdd(key, 0))
        {
            Interlocked.Increment(ref _orphanCount);
        }

        try
        {
            var left = deadline - _time.GetUtcNow() + DeadlineSlack;
            _ = _redis.Database.StringSetAsync(RunningKey(key), $"{DaemonId}|{deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}",
                left, flags: CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.WriteFailed(_logger, ex.GetType().Name);
        }

        if (!_dispatcher.TryGetCall(key, out _) && _orphans.TryRemove(key, out _))
        {
            // It ended as we marked it (its Stored may have missed the mark): the result is shared, the marker only
            // lives until its deadline, and a lookup reads the result first.
            Interlocked.Decrement(ref _orphanCount);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> ClaimSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!_redis.IsUp)
        {
            return false;
        }

        try
        {
            var before = await _redis.Database.StringSetAndGetAsync(SessionPrefix + sessionId, DaemonId, _ttl > TimeSpan.Zero ? _ttl : TimeSpan.FromSeconds(1))
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            return !before.IsNull && before != DaemonId;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.ReadFailed(_logger, ex.GetType().Name);
            return false;
        }
    }

    /// <inheritdoc />
    public async ValueTask<SharedLookup> LookupAsync(CallKey key, CancellationToken cancellationToken) =>
        await TryLookupAsync(key, cancellationToken).ConfigureAwait(false) ?? default; // Redis unreadable: nothing found, the call runs here

    /// <inheritdoc />
    public async Task<CallResult> WaitAsync(CallKey key, SharedLookup running, Action heartbeat, CancellationToken cancellationToken)
    {
        var done = _waiters.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            // Keep it running for us: the owner lets an orphan go after its disconnect grace.
            await _redis.Subscriber.PublishAsync(RedisChannel.Literal(DaemonPrefix + running.RunningOn), Encode(key))
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.ReadFailed(_logger, ex.GetType().Name); // looked at again below
        }

        try
        {
            var deadline = running.Deadline + DeadlineSlack;
            long unheardSince = 0; // when the owner was first found listening on none of its channels
            while (true)
            {
                // Registered before looking, so a result published from now on is heard, and one stored before is read.
                var now = await TryLookupAsync(key, cancellationToken).ConfigureAwait(false);
                if (now is { Result: { } result })
                {
                    return result;
                }

                if (now is { RunningOn: null })
                {
                    // No marker: the owner stored its result and removed it in that order — unless it went away.
                    var again = await TryLookupAsync(key, cancellationToken).ConfigureAwait(false);
                    return again?.Result ?? OwnerStopped();
                }

                if (now is not null && await OwnerGoneAsync(running.RunningOn!, cancellationToken).ConfigureAwait(false))
                {
                    if (unheardSince == 0)
                    {
                        unheardSince = _time.GetTimestamp();
                    }
                    else if (_time.GetElapsedTime(unheardSince) >= OwnerSilence)
                    {
                        // A killed owner leaves its marker until the deadline: the client would wait for nothing until then.
                        var last = await TryLookupAsync(key, cancellationToken).ConfigureAwait(false);
                        return last?.Result ?? OwnerStopped();
                    }
                }
                else
                {
                    unheardSince = 0;
                }

                var left = deadline - _time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    return CallResult.Failed(ErrorCodes.Timeout, "the call was running on another daemon and did not finish within its deadline");
                }

                var wait = left < _progressInterval ? left : _progressInterval;
                await Task.WhenAny(done.Task, Task.Delay(wait, _time, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (!done.Task.IsCompleted)
                {
                    heartbeat();
                }
                else
                {
                    _waiters.TryRemove(new KeyValuePair<CallKey, TaskCompletionSource>(key, done));
                    done = _waiters.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }
            }
        }
        finally
        {
            _waiters.TryRemove(new KeyValuePair<CallKey, TaskCompletionSource>(key, done));
        }
    }

    /// <inheritdoc />
    public async Task<bool> CancelElsewhereAsync(CallKey key, SharedLookup running, CancellationToken cancellationToken)
    {
        if (!_redis.IsUp || running.RunningOn is not { } owner)
        {
            return false;
        }

        try
        {
            // PUBLISH says how many subscribers got the message: none means the owner stopped (or is cut off from Redis)
            // and its call ends by its deadline. One means it heard, and its result follows on "done".
            return await _redis.Subscriber.PublishAsync(CancelChannel(owner), Encode(key)).WaitAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.CancelFailed(_logger, ex.GetType().Name);
            return false;
        }
    }

    // Whether the owner listens on its channels no longer: a daemon subscribes while it runs, and Redis drops a
    // subscriber whose connection closed (a killed process's at once). Unknown (Redis unreadable) counts as heard.
    private async ValueTask<bool> OwnerGoneAsync(string owner, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await _redis.Database.ExecuteAsync("PUBSUB", "NUMSUB", DaemonPrefix + owner).WaitAsync(cancellationToken).ConfigureAwait(false);
            return reply.Resp2Type == ResultType.Array && reply.Length == 2 && (long)reply[1] == 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidCastException)
        {
            Log.ReadFailed(_logger, ex.GetType().Name);
            return false;
        }
    }

    // Null while Redis cannot be read: the wait goes on until the deadline (Redis may come back).
    private async ValueTask<SharedLookup?> TryLookupAsync(CallKey key, CancellationToken cancellationToken)
    {
        if (!_redis.IsUp)
        {
            return null;
        }

        try
        {
            var db = _redis.Database;
            var result = db.StringGetAsync(ResultKey(key));
            var running = db.StringGetAsync(RunningKey(key));
            return Read(await result.WaitAsync(cancellationToken).ConfigureAwait(false), await running.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.ReadFailed(_logger, ex.GetType().Name);
            return null;
        }
    }

    private static SharedLookup Read(RedisValue result, RedisValue running)
    {
        if (!result.IsNull)
        {
            var stored = JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)result).Span, RedisJson.Default.StoredResult);
            if (stored is not null)
            {
                return new SharedLookup(stored.ToResult(), null, default);
            }
        }

        if (!running.IsNull && ((string)running!).Split('|') is [var owner, var ms] && long.TryParse(ms, CultureInfo.InvariantCulture, out long deadline))
        {
            return new SharedLookup(null, owner, DateTimeOffset.FromUnixTimeMilliseconds(deadline));
        }

        return default;
    }

    // Subscriptions made while Redis was down are made again when it comes up (the multiplexer restores those it has).
    private void Subscribe()
    {
        if (Volatile.Read(ref _subscribed) == 1 || !_redis.IsUp)
        {
            return;
        }

        try
        {
            var subscriber = _redis.Subscriber;
            subscriber.Subscribe(DoneChannel, (_, message) => OnDone(message));
            subscriber.Subscribe(_ownChannel, (_, message) => OnKeepFor(message));
            subscriber.Subscribe(_cancelChannel, (_, message) => OnCancel(message));
            Volatile.Write(ref _subscribed, 1);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.ReadFailed(_logger, ex.GetType().Name); // tried again when Redis comes up
        }
    }

    private void OnDone(RedisValue message)
    {
        if (Decode(message) is { } key && _waiters.TryGetValue(key, out var done))
        {
            done.TrySetResult();
        }
    }

    // Another daemon's client waits for this call: it has a listener again, and is no orphan to cancel.
    private void OnKeepFor(RedisValue message)
    {
        if (Decode(message) is { } key && _dispatcher.TryAttach(key, this))
        {
            // A call that ended since is no longer there to name its tool and lane: the line says so with nulls.
            var call = _dispatcher.TryGetCall(key, out var found) ? found : null;
            Log.KeptFor(_logger, key.RequestId, key.Caller, call?.Tool.Name, call?.Lane);
        }
    }

    // That client sent cancel: the call ends here as by a local cancel (a single-flight twin only drops this key), and its
    // CANCELLED result is stored and published on "done" as any orphan's result is. A call that ended a moment before is
    // not found: the waiter gets that result instead.
    private void OnCancel(RedisValue message)
    {
        if (Decode(message) is not { } key)
        {
            return;
        }

        // Looked up before the cancel, which ends the call and takes it out of the table.
        var call = _dispatcher.TryGetCall(key, out var found) ? found : null;
        if (_dispatcher.Cancel(key).Found)
        {
            Log.CancelledFor(_logger, key.RequestId, key.Caller, call?.Tool.Name, call?.Lane, ErrorCodes.Cancelled);
        }
    }

    // As the listener standing for a client on another daemon: the result reaches it through Stored, not through here.
    void ICallListener.OnProgress(CallKey key, ToolCall call, Core.Tools.ProgressReport progress)
    {
    }

    void ICallListener.OnStreamChunk(CallKey key, ToolCall call, int sequence, string chunk)
    {
    }

    // A channel of its own (not a message kind on the keep-for channel): a daemon that does not know it hears nothing,
    // and the sender, told so by PUBLISH, answers its client itself.
    private static RedisChannel CancelChannel(string daemonId) => RedisChannel.Literal(DaemonPrefix + daemonId + ":cancel");

    private static RedisKey ResultKey(CallKey key) => ResultPrefix + key.Caller + ":" + key.RequestId;

    private static RedisKey RunningKey(CallKey key) => RunningPrefix + key.Caller + ":" + key.RequestId;

    // A session id has no newline (PROTOCOL.md: [A-Za-z0-9_-]); a request id may have anything, so it goes last.
    private static RedisValue Encode(CallKey key) => key.Caller + "\n" + key.RequestId;

    private static CallKey? Decode(RedisValue message)
    {
        string text = message!;
        int nl = text.IndexOf('\n', StringComparison.Ordinal);
        return nl > 0 ? new CallKey(text[..nl], text[(nl + 1)..]) : null;
    }

    private static partial class Log
    {
        [LoggerMessage(710, LogLevel.Warning, "Sharing a result through Redis failed ({Error}); it stays on this daemon")]
        public static partial void WriteFailed(ILogger logger, string error);

        [LoggerMessage(712, LogLevel.Information, "Call {RequestId} of session {SessionId}: {Tool} in lane {Lane} keeps running for its client, who came back through another daemon")]
        public static partial void KeptFor(ILogger logger, string requestId, string sessionId, string? tool, string? lane);

        [LoggerMessage(713, LogLevel.Information, "Call {RequestId} of session {SessionId}: {Tool} in lane {Lane} ends {Outcome}: its client sent the cancel through another daemon")]
        public static partial void CancelledFor(ILogger logger, string requestId, string sessionId, string? tool, string? lane, string outcome);

        [LoggerMessage(714, LogLevel.Warning, "Asking another daemon to cancel a call failed ({Error}); the client is answered here, and the call there ends by its deadline")]
        public static partial void CancelFailed(ILogger logger, string error);

        [LoggerMessage(711, LogLevel.Warning, "Reading shared results from Redis failed ({Error}); the call is served here")]
        public static partial void ReadFailed(ILogger logger, string error);
    }
}
