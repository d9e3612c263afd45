using ExaiFast.Core.Tools;
using Microsoft.Extensions.Logging;
using Prometheus;
using StackExchange.Redis;

namespace ExaiFast.Redis;

/// <summary>
/// The daemon's one connection to Redis (a <see cref="ConnectionMultiplexer"/>), made by the composition root, and whether
/// it is up: the <c>exaifast_redis_up</c> gauge, one log line per change, and <see cref="IsUp"/> for <c>status</c> and
/// <c>/health</c>.
/// </summary>
/// <remarks>
/// The multiplexer is made in the background: with Redis unreachable its first connect takes its connect timeout times
/// its retries (about 20 s with the defaults), and the daemon must not wait that long to listen. Until it exists Redis
/// counts as down (<see cref="IsUp"/> false, the gauge 0, commands throw <see cref="RedisConnectionException"/>); its
/// first state is logged when the first attempt ends.
/// The daemon starts with Redis down and keeps serving calls that need no thread; the multiplexer reconnects by itself.
/// The multiplexer's connection events say when to look, and a one-second check catches a change an event did not bring
/// (the events come per physical connection). Thread-safe.
/// </remarks>
internal sealed partial class RedisConnection : IStoreStatus, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly Gauge? _upGauge;
    private readonly PeriodicTimer _watch = new(TimeSpan.FromSeconds(1));
    private readonly Task _watching;
    private readonly Task _connecting;
    private ConnectionMultiplexer? _multiplexer;
    private int _up = -1; // unknown until the first attempt ends: the first state is logged too
    private Action? _cameUp;

    private RedisConnection(ConfigurationOptions options, ILogger logger, CollectorRegistry? metrics)
    {
        Endpoint = RedisUrl.Describe(options);
        _logger = logger;
        _upGauge = metrics is null ? null : Prometheus.Metrics.WithCustomRegistry(metrics).CreateGauge("exaifast_redis_up", "1 when the daemon can reach Redis (REDIS_URL), 0 when not.");
        _upGauge?.Set(0);
        _connecting = ConnectAsync(options);
        _watching = WatchAsync();
    }

    /// <summary>
    /// Starts connecting to <paramref name="options"/>' Redis and returns at once: a daemon whose Redis is down starts
    /// anyway, and one whose Redis is up sees it up within moments.
    /// </summary>
    public static RedisConnection Connect(ConfigurationOptions options, ILogger logger, CollectorRegistry? metrics) => new(options, logger, metrics);

    /// <summary>The multiplexer, once its first connect attempt has ended (null before).</summary>
    public ConnectionMultiplexer? Multiplexer => Volatile.Read(ref _multiplexer);

    /// <summary>The database REDIS_URL names.</summary>
    /// <exception cref="RedisConnectionException">The first connect attempt has not ended yet.</exception>
    public IDatabase Database => (Multiplexer ?? throw NotYet()).GetDatabase();

    /// <summary>The publish/subscribe side.</summary>
    /// <exception cref="RedisConnectionException">The first connect attempt has not ended yet.</exception>
    public ISubscriber Subscriber => (Multiplexer ?? throw NotYet()).GetSubscriber();

    private static RedisConnectionException NotYet() => new(ConnectionFailureType.UnableToConnect, CommandFlags.None, "Redis: still connecting", null, CommandStatus.WaitingToBeSent);

    private async Task ConnectAsync(ConfigurationOptions options)
    {
        // abortConnect=false (RedisUrl): this completes once the first attempt ends, connected or not, and the
        // multiplexer goes on reconnecting by itself.
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        multiplexer.ConnectionFailed += (_, e) => Look(e.FailureType.ToString());
        multiplexer.ConnectionRestored += (_, _) => Look(null);
        Volatile.Write(ref _multiplexer, multiplexer);
        Look(null);
    }

    /// <summary>Host:port (and database), never the password.</summary>
    public string Endpoint { get; }

    /// <inheritdoc />
    public string Kind => "redis";

    /// <inheritdoc />
    public bool IsUp => Volatile.Read(ref _up) == 1;

    /// <summary>Runs <paramref name="action"/> each time Redis comes (back) up (subscriptions are checked then).</summary>
    public void OnUp(Action action) => _cameUp += action;

    private void Look(string? why)
    {
        if (Multiplexer is not { } multiplexer)
        {
            return; // the first attempt has not ended: down, not yet logged
        }

        int now = multiplexer.IsConnected ? 1 : 0;
        int before = Interlocked.Exchange(ref _up, now);
        if (before == now)
        {
            return;
        }

        _upGauge?.Set(now);
        if (now == 1)
        {
            Log.Up(_logger, Endpoint);
            try
            {
                _cameUp?.Invoke();
            }
            catch (Exception ex)
            {
                Log.UpActionFailed(_logger, ex);
            }
        }
        else
        {
            Log.Down(_logger, Endpoint, why ?? "not connected");
        }
    }

    private async Task WatchAsync()
    {
        try
        {
            while (await _watch.WaitForNextTickAsync().ConfigureAwait(false))
            {
                Look(null);
            }
        }
        catch (ObjectDisposedException)
        {
            // disposed
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _watch.Dispose();
        await _watching.ConfigureAwait(false);
        if (!_connecting.IsCompleted)
        {
            // Still on its first attempt (Redis unreachable): the process is stopping, do not wait for it.
            _ = _connecting.ContinueWith(static (_, state) => ((RedisConnection)state!).Multiplexer?.Dispose(), this, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        if (Multiplexer is { } multiplexer)
        {
            await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            multiplexer.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(700, LogLevel.Information, "Redis up ({Endpoint}): conversation threads and stored results are shared")]
        public static partial void Up(ILogger logger, string endpoint);

        [LoggerMessage(701, LogLevel.Warning, "Redis down ({Endpoint}, {Why}): thread calls answer STORE_UNAVAILABLE until it is back; other calls go on")]
        public static partial void Down(ILogger logger, string endpoint, string why);

        [LoggerMessage(702, LogLevel.Error, "An action run when Redis came up failed")]
        public static partial void UpActionFailed(ILogger logger, Exception exception);
    }
}
