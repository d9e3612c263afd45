using System.Globalization;
using System.Text.RegularExpressions;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Redis;

/// <summary>
/// The real parts of a multi-daemon deployment: a redis-server, two <c>exaifast serve</c> processes pointed at it, and
/// nginx load-balancing WebSocket connections over them (round robin, as the configuration in docs/operations.md does).
/// </summary>
internal sealed partial class DaemonPair : IAsyncDisposable
{
    private readonly HttpClient _http = new();

    private DaemonPair(RedisServer redis, ExaiFastProcess[] daemons, int[] ports, NginxProxy nginx)
    {
        Redis = redis;
        Daemons = daemons;
        Ports = ports;
        Nginx = nginx;
    }

    public RedisServer Redis { get; }

    public ExaiFastProcess[] Daemons { get; }

    /// <summary>Each daemon's own port (for /metrics, /health and /ready; clients go through nginx).</summary>
    public int[] Ports { get; }

    public NginxProxy Nginx { get; }

    /// <param name="environment">Settings both daemons get besides REDIS_URL.</param>
    public static async Task<DaemonPair> StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var redis = await RedisServer.StartNewAsync();
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["REDIS_URL"] = redis.Url };
        ExaiFastProcess[] daemons = [ExaiFastProcess.Start(env, "serve", "--port", "0"), ExaiFastProcess.Start(env, "serve", "--port", "0")];
        int[] ports = [await daemons[0].WaitForReadyAsync(), await daemons[1].WaitForReadyAsync()];
        var nginx = await NginxProxy.StartAsync(ports);
        var pair = new DaemonPair(redis, daemons, ports, nginx);
        foreach (int i in (int[])[0, 1])
        {
            await Eventually.Until(async () => await pair.MetricAsync(i, "exaifast_redis_up") == 1);
        }

        return pair;
    }

    /// <summary>
    /// Connects through nginx with <paramref name="sessionId"/> until the connection lands on daemon
    /// <paramref name="daemon"/> (told apart by its open WebSocket count; every other connection of the test is closed).
    /// </summary>
    public async Task<ExaiWsClient> ConnectToAsync(int daemon, string sessionId)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            await Eventually.Until(async () => await MetricAsync(0, "exaifast_websocket_connections_open") == 0
                && await MetricAsync(1, "exaifast_websocket_connections_open") == 0);
            var client = await ExaiWsClient.ConnectAsync(Nginx.WebSocketUri, sessionId: sessionId);
            int landed = -1;
            await Eventually.Until(async () =>
            {
                landed = await MetricAsync(0, "exaifast_websocket_connections_open") == 1 ? 0
                    : await MetricAsync(1, "exaifast_websocket_connections_open") == 1 ? 1 : -1;
                return landed >= 0;
            });
            if (landed == daemon)
            {
                return client;
            }

            await client.DisposeAsync();
        }

        throw new InvalidOperationException($"nginx never sent a connection to daemon {daemon}");
    }

    /// <summary>The sum of a metric's samples on daemon <paramref name="daemon"/> whose labels contain <paramref name="labels"/> (0 when absent).</summary>
    public async Task<double> MetricAsync(int daemon, string name, string labels = "")
    {
        string text = await _http.GetStringAsync($"http://127.0.0.1:{Ports[daemon]}/metrics", TestContext.Current.CancellationToken);
        double sum = 0;
        foreach (Match m in MetricLine().Matches(text))
        {
            if (m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains(labels, StringComparison.Ordinal))
            {
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    public async Task<(int Status, string Body)> GetAsync(int daemon, string path)
    {
        using var response = await _http.GetAsync($"http://127.0.0.1:{Ports[daemon]}{path}", TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Nginx.DisposeAsync();
        foreach (var d in Daemons)
        {
            await d.DisposeAsync();
        }

        await Redis.DisposeAsync();
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{[^}]*\})? (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}
