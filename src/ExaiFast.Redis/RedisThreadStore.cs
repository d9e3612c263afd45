using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Threads;
using StackExchange.Redis;

namespace ExaiFast.Redis;

/// <summary>
/// Conversation threads in Redis (<c>REDIS_URL</c>), shared by every daemon behind a load balancer, with the semantics of
/// <see cref="MemoryThreadStore"/>: atomic appends, the turn cap, and a TTL refreshed by each append.
/// </summary>
/// <remarks>
/// <para>A thread is one list, <c>exaifast:thread:&lt;id&gt;</c>: its creation time (Unix milliseconds) first, then one
/// JSON turn per element. One key per thread, so an append is one Lua script on one key — atomic on the server, whichever
/// daemon sends it and however many append at once, and safe on a Redis Cluster.</para>
/// <para>The in-memory bounds (<see cref="ThreadStoreOptions.MaxThreads"/>, <see cref="ThreadStoreOptions.MaxBytes"/>)
/// are Redis's own to keep here (<c>maxmemory</c>); every thread has its TTL.</para>
/// <para>Redis unreachable or too slow: <see cref="StoreUnavailableException"/>, which the call answers as STORE_UNAVAILABLE.
/// Thread-safe.</para>
/// </remarks>
internal sealed class RedisThreadStore(RedisConnection redis, ThreadStoreOptions options, TimeProvider? time = null) : IThreadStore
{
    private const string KeyPrefix = "exaifast:thread:";

    // The index of recent threads: a sorted set of ids scored by their newest turn's time (Unix ms), trimmed to the
    // newest RecentKept. A key of its own, updated after each append by a script of its own: one key per script stays
    // safe on a Redis Cluster, and an index a moment behind only lists a thread a moment late.
    private const string RecentKey = "exaifast:threads:recent";
    private const int RecentKept = 1_000;

    // KEYS[1] the index; ARGV: id, now (Unix ms), how many to keep, TTL ms. Ids untouched for a TTL have expired.
    private const string IndexScript = """
        redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[2]) - tonumber(ARGV[4])))
        return 0
        """;
    private const double RetryAfterSeconds = 5;

    // KEYS[1] the thread; ARGV: turn JSON, create (1/0), max turns, TTL ms, now (Unix ms).
    // Returns {status, turns}: status 0 appended, 1 not found, 2 full (ThreadAppendStatus's order).
    private const string AppendScript = """
        local n = redis.call('LLEN', KEYS[1])
        if n == 0 then
          if ARGV[2] ~= '1' then return {1, 0} end
          redis.call('RPUSH', KEYS[1], ARGV[5], ARGV[1])
          redis.call('PEXPIRE', KEYS[1], ARGV[4])
          return {0, 1}
        end
        if n - 1 >= tonumber(ARGV[3]) then return {2, n - 1} end
        redis.call('RPUSH', KEYS[1], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return {0, n}
        """;

    // The model of threads this daemon wrote or read lately, for KnownModel (validation cannot wait for Redis). Bounded
    // crudely: cleared when full; a miss only means the continuation is routed by the tool's default until it is read.
    private const int MaxKnownModels = 10_000;
    private readonly ConcurrentDictionary<Guid, string> _models = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public string Kind => "redis";

    /// <inheritdoc />
    public ThreadStoreOptions Options { get; } = options;

    /// <summary>The model of thread <paramref name="id"/>'s newest answered turn, if this daemon wrote or read it lately.</summary>
    public string? KnownModel(Guid id) => _models.TryGetValue(id, out string? model) ? model : null;

    private void Remember(Guid id, string? model)
    {
        if (model is null)
        {
            return;
        }

        if (_models.Count >= MaxKnownModels)
        {
            _models.Clear();
        }

        _models[id] = model;
    }

    /// <inheritdoc />
    public async ValueTask<ConversationThread?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        RedisValue[] items;
        try
        {
            items = await redis.Database.ListRangeAsync(Key(id)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        if (items.Length == 0)
        {
            return null; // never created, or expired
        }

        var created = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)items[0]!, CultureInfo.InvariantCulture));
        var turns = new ThreadTurn[items.Length - 1];
        for (int i = 1; i < items.Length; i++)
        {
            turns[i - 1] = JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)items[i]).Span, RedisJson.Default.ThreadTurn)
                ?? throw new InvalidDataException($"thread {id}: turn {i} is null");
        }

        var thread = new ConversationThread(id, created, turns);
        Remember(id, thread.Model);
        return thread;
    }

    /// <inheritdoc />
    public async ValueTask<(ThreadAppendStatus Status, int Turns)> AppendAsync(Guid id, ThreadTurn turn, bool create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(turn, RedisJson.Default.ThreadTurn);
        RedisResult result;
        try
        {
            result = await redis.Database.ScriptEvaluateAsync(AppendScript, [Key(id)],
                [json, create ? 1 : 0, Options.MaxTurns, (long)Options.Ttl.TotalMilliseconds, _time.GetUtcNow().ToUnixTimeMilliseconds()])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        var pair = (RedisResult[])result!;
        var status = (ThreadAppendStatus)(int)pair[0];
        if (status == ThreadAppendStatus.Appended)
        {
            Remember(id, turn.Model);
            // Fire and forget: the append is done, and a list of recent threads is not worth a round trip per call.
            _ = redis.Database.ScriptEvaluateAsync(IndexScript, [RecentKey],
                [id.ToString("D"), turn.At.ToUnixTimeMilliseconds(), RecentKept, (long)Options.Ttl.TotalMilliseconds], CommandFlags.FireAndForget);
        }

        return (status, (int)pair[1]);
    }

    /// <inheritdoc />
    /// <remarks>Reads the index's newest ids, then of each thread only its creation time, first and newest turn and
    /// length, all sent at once; ids whose thread expired are dropped from the index as they are met.</remarks>
    public async ValueTask<IReadOnlyList<Core.Threads.ThreadSummary>> RecentAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var list = new List<Core.Threads.ThreadSummary>(Math.Min(max, 64));
        try
        {
            var db = redis.Database;
            long start = 0;
            while (list.Count < max)
            {
                // A few more than asked for, since some may have expired.
                long take = max - list.Count + 8;
                var ids = await db.SortedSetRangeByRankAsync(RecentKey, start, start + take - 1, Order.Descending).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (ids.Length == 0)
                {
                    break;
                }

                start += ids.Length;
                var reads = new (Guid Id, Task<long> Length, Task<RedisValue> Created, Task<RedisValue> First, Task<RedisValue> Newest)[ids.Length];
                for (int i = 0; i < ids.Length; i++)
                {
                    var id = Guid.Parse((string)ids[i]!);
                    var key = Key(id);
                    reads[i] = (id, db.ListLengthAsync(key), db.ListGetByIndexAsync(key, 0), db.ListGetByIndexAsync(key, 1), db.ListGetByIndexAsync(key, -1));
                }

                foreach (var (id, length, created, first, newest) in reads)
                {
                    long n = await length.WaitAsync(cancellationToken).ConfigureAwait(false);
                    var createdAt = await created.ConfigureAwait(false);
                    var firstTurn = await first.ConfigureAwait(false);
                    var newestTurn = await newest.ConfigureAwait(false);
                    if (n < 2 || createdAt.IsNull || firstTurn.IsNull || newestTurn.IsNull)
                    {
                        continue; // expired (or going): the index drops it once its TTL has passed
                    }

                    if (list.Count < max)
                    {
                        var newestParsed = Turn(newestTurn, id);
                        list.Add(ConversationThread.Summarize(id, DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)createdAt!, CultureInfo.InvariantCulture)),
                            Turn(firstTurn, id), newestParsed, (int)(n - 1), newestParsed.Model));
                    }
                }

                if (ids.Length < take)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        return list;
    }

    private static ThreadTurn Turn(RedisValue json, Guid id) =>
        JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)json).Span, RedisJson.Default.ThreadTurn)
            ?? throw new InvalidDataException($"thread {id}: a turn is null");

    private static RedisKey Key(Guid id) => KeyPrefix + id.ToString("D");

    // Connection refused, connection lost, timeout, or a server that cannot serve (loading, read-only replica).
    private static bool IsUnavailable(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;

    // The client sees the store's name, never its address or password; the cause stays in the exception's chain for the log.
    private static StoreUnavailableException Unavailable(Exception ex) =>
        new("the conversation store (redis) cannot be reached; try again shortly", RetryAfterSeconds, ex);
}
