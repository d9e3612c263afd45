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
    private int _up = -1; // unknown until the first look: the first state is logged too
    private Action? _cameUp;

    private RedisConnection(ConnectionMultiplexer multiplexer, string endpoint, ILogger logger, CollectorRegistry? metrics)
    {
        Multiplexer = multiplexer;
        Endpoint = endpoint;
        _logger = logger;
        _upGauge = metrics is null ? null : Prometheus.Metrics.WithCustomRegistry(metrics).CreateGauge("exaifast_redis_up", "1 when the daemon can reach Redis (REDIS_URL), 0 when not.");
        multiplexer.ConnectionFailed += (_, e) => Look(e.FailureType.ToString());
        multiplexer.ConnectionRestored += (_, _) => Look(null);
        Look(null);
        _watching = WatchAsync();
    }

    /// <summary>
    /// Connects to <paramref name="options"/>' Redis. Returns once the first attempt has succeeded or failed (at most the
    /// connect timeout): a daemon whose Redis is down starts anyway.
    /// </summary>
    public static RedisConnection Connect(ConfigurationOptions options, ILogger logger, CollectorRegistry? metrics)
    {
        string endpoint = RedisUrl.Describe(options);
        return new RedisConnection(ConnectionMultiplexer.Connect(options), endpoint, logger, metrics);
    }

    /// <summary>The multiplexer: shared by the thread store and the result exchange.</summary>
    public ConnectionMultiplexer Multiplexer { get; }

    /// <summary>The database REDIS_URL names.</summary>
    public IDatabase Database => Multiplexer.GetDatabase();

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
        int now = Multiplexer.IsConnected ? 1 : 0;
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
        await Multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        Multiplexer.Dispose();
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
