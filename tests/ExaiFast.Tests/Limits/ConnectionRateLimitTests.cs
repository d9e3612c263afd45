using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using ExaiFast.Configuration;
using ExaiFast.Tests.ExaiWs;
using static ExaiFast.Tests.Limits.LoopbackClients;
using static ExaiFast.Tests.Limits.RateLimitDaemon;

namespace ExaiFast.Tests.Limits;

/// <summary>The rate of new connections per client address (EXAIFAST_RATE_CONNECTIONS_PER_IP), against the real daemon,
/// with clients on several loopback addresses.</summary>
public class ConnectionRateLimitTests
{
    [Fact]
    public async Task PastTheBurst_ConnectionsGet429WithRetryAfterAndACleanClose_WhileAnotherAddressIsServed()
    {
        // One a minute, three at once: the fourth connection from the address is refused for about a minute.
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_RATE_CONNECTIONS_PER_IP"] = "1",
            ["EXAIFAST_RATE_CONNECTIONS_BURST"] = "3",
            ["EXAIFAST_RATE_LIMIT_LOOPBACK"] = "true",
        });
        var noisy = Address(2, 1);
        var quiet = Address(2, 2);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await GetAsync(noisy, daemon.EndPoint)).Status);
        }

        for (int i = 0; i < 2; i++)
        {
            var (status, retryAfter, clean) = await GetAsync(noisy, daemon.EndPoint);
            Assert.Equal(429, status);
            Assert.InRange(int.Parse(retryAfter!, CultureInfo.InvariantCulture), 1, 60);
            Assert.True(clean, "the refused connection was reset instead of closed");
        }

        // A client that is not HTTP (it sends nothing) reads the 429 and a FIN: the refusal does not wait for a request.
        using (var raw = await ConnectAsync(noisy, daemon.EndPoint))
        {
            var (text, clean) = await ReadToEndAsync(raw);
            Assert.Equal(429, StatusOf(text));
            Assert.True(clean);
        }

        // A WebSocket client sees its handshake answered 429, before any upgrade.
        using (var refused = new ClientWebSocket())
        {
            refused.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() =>
                refused.ConnectAsync(daemon.Uri, new HttpMessageInvoker(Handler(noisy)), TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.HttpStatusCode);
            Assert.NotNull(refused.HttpResponseHeaders?["Retry-After"]);
        }

        // Meanwhile another address is served: plain HTTP, and a WebSocket that calls a tool.
        Assert.Equal(200, (await GetAsync(quiet, daemon.EndPoint)).Status);
        await using (var client = await ExaiWsAsync(daemon, quiet))
        {
            AssertServed(await CallAsync(client, "q1"));
        }

        Assert.Equal(4, await MetricAsync(daemon, "exaifast_rate_limited_total", "connections_per_ip"));
        Assert.Equal(4, await MetricAsync(daemon, "exaifast_connections_refused_total", "rate_per_ip", label: "reason"));
    }

    [Fact]
    public async Task Loopback_IsExemptByDefault_AndTheDefaultsLimitOnlyConnections()
    {
        var defaults = SettingsLoader.Load(new Dictionary<string, string>(), new Dictionary<string, string>(), envFile: HermeticStart.EmptyEnvFile).Server.RateLimits;
        Assert.Equal((600, false, false, false), (defaults.ConnectionsPerIp.PerMinute, defaults.CallsPerIp.IsOn, defaults.CallsPerSession.IsOn, defaults.LimitLoopback));

        // Limits that a single connection or call would break, and no EXAIFAST_RATE_LIMIT_LOOPBACK: a loopback client is
        // the user's own bridge (or a reverse proxy speaking for everyone), and nothing it does is refused. The daemon
        // listens on every address, so that the limits are in force for other clients.
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAI_WS_HOST"] = "0.0.0.0",
            ["EXAI_WS_ALLOW_REMOTE_WITHOUT_TOKEN"] = "true",
            ["EXAIFAST_RATE_CONNECTIONS_PER_IP"] = "1",
            ["EXAIFAST_RATE_CONNECTIONS_BURST"] = "1",
            ["EXAIFAST_RATE_CALLS_PER_IP"] = "1",
            ["EXAIFAST_RATE_CALLS_PER_IP_BURST"] = "1",
        });
        var local = Address(2, 3);
        var server = new IPEndPoint(IPAddress.Loopback, daemon.EndPoint.Port);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await GetAsync(local, server)).Status);
        }

        await using var client = await ExaiWsAsync(daemon, local);
        for (int i = 0; i < 5; i++)
        {
            AssertServed(await CallAsync(client, $"c{i}"));
        }

        Assert.Equal(0, await MetricAsync(daemon, "exaifast_rate_limited_total", "connections_per_ip"));
        Assert.Equal(0, await MetricAsync(daemon, "exaifast_rate_limited_total", "calls_per_ip"));
        Assert.Equal(0, await MetricAsync(daemon, "exaifast_rate_limit_buckets", "connections_per_ip"));
    }

    [Fact]
    public async Task IdleBuckets_AreDropped_SoManyAddressesDoNotGrowMemory()
    {
        // Ten a second, one at once: a bucket is full again 100 ms after its connection, then idle; the partitioned
        // limiter drops a bucket that has been full for 10 s.
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_RATE_CONNECTIONS_PER_IP"] = "600",
            ["EXAIFAST_RATE_CONNECTIONS_BURST"] = "1",
            ["EXAIFAST_RATE_LIMIT_LOOPBACK"] = "true",
        });
        const int addresses = 200;
        for (int i = 1; i <= addresses; i++)
        {
            Assert.Equal(200, (await GetAsync(Address(4, i), daemon.EndPoint)).Status);
        }

        Assert.True(await MetricAsync(daemon, "exaifast_rate_limit_buckets", "connections_per_ip") >= addresses);

        double buckets = addresses;
        for (int wait = 0; wait < 120 && buckets > 0; wait++)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            buckets = await MetricAsync(daemon, "exaifast_rate_limit_buckets", "connections_per_ip");
        }

        Assert.Equal(0, buckets);

        // A dropped bucket is made again on the address's next connection, full.
        Assert.Equal(200, (await GetAsync(Address(4, 1), daemon.EndPoint)).Status);
        Assert.Equal(1, await MetricAsync(daemon, "exaifast_rate_limit_buckets", "connections_per_ip"));
    }
}
