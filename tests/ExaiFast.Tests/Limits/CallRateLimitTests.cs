using System.Net;
using ExaiFast.Tests.ExaiWs;
using static ExaiFast.Tests.Limits.LoopbackClients;
using static ExaiFast.Tests.Limits.RateLimitDaemon;

namespace ExaiFast.Tests.Limits;

/// <summary>The rates of tool calls per client address and per session (EXAIFAST_RATE_CALLS_PER_IP,
/// EXAIFAST_RATE_CALLS_PER_SESSION) over exai-ws, MCP over WebSocket and MCP over HTTP, against the real daemon.</summary>
public class CallRateLimitTests
{
    [Fact]
    public async Task PerAddress_OneBucketForEveryDoorAndSession_RefusalsSayWhenToRetry_AnotherAddressIsServed()
    {
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_RATE_CALLS_PER_IP"] = "1",
            ["EXAIFAST_RATE_CALLS_PER_IP_BURST"] = "4",
            ["EXAIFAST_RATE_LIMIT_LOOPBACK"] = "true",
        });
        var noisy = Address(3, 1);
        var quiet = Address(3, 2);
        using var noisyHttp = new HttpClient(Handler(noisy));
        using var quietHttp = new HttpClient(Handler(quiet));

        // Four calls from the address, over two exai-ws sessions and MCP over WebSocket: the burst.
        await using var first = await ExaiWsAsync(daemon, noisy);
        await using var second = await ExaiWsAsync(daemon, noisy);
        await using var mcp = await McpAsync(daemon, noisy);
        AssertServed(await CallAsync(first, "a1"));
        AssertServed(await CallAsync(first, "a2"));
        AssertServed(await CallAsync(second, "b1"));
        AssertServed(await McpCallAsync(mcp, 1));

        // Then every door refuses it, each in its own shape, with when to come back (a token a minute: within 60 s).
        AssertRefused(await CallAsync(first, "a3"), "a3", 60);
        AssertRefused(await CallAsync(second, "b2"), "b2", 60);
        AssertMcpRefused(await McpCallAsync(mcp, 2), 60);
        var (status, overHttp) = await HttpCallAsync(daemon, noisyHttp, 3);
        Assert.Equal(HttpStatusCode.OK, status);
        AssertMcpRefused(overHttp!, 60);

        // A refused connection stays open and answers what is not a call.
        await first.SendAsync(new() { ["op"] = "ping", ["request_id"] = "p" });
        Assert.Equal("pong", (string?)(await first.OpAsync("pong"))["op"]);

        // Meanwhile another address is served on every door.
        await using var other = await ExaiWsAsync(daemon, quiet);
        AssertServed(await CallAsync(other, "q1"));
        var (quietStatus, quietResult) = await HttpCallAsync(daemon, quietHttp, 4);
        Assert.Equal(HttpStatusCode.OK, quietStatus);
        AssertServed(quietResult!);

        Assert.Equal(4, await MetricAsync(daemon, "exaifast_rate_limited_total", "calls_per_ip"));
        Assert.Equal(0, await MetricAsync(daemon, "exaifast_rate_limited_total", "calls_per_session"));
        Assert.Equal(2, await MetricAsync(daemon, "exaifast_rate_limit_buckets", "calls_per_ip"));
    }

    [Fact]
    public async Task PerSession_OnOneConnection_LoopbackIncluded_AnotherSessionIsServed()
    {
        // No EXAIFAST_RATE_LIMIT_LOOPBACK: the per-session limit applies on loopback too (behind a proxy it is the one
        // that tells clients apart).
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["EXAIFAST_RATE_CALLS_PER_SESSION"] = "1",
            ["EXAIFAST_RATE_CALLS_PER_SESSION_BURST"] = "2",
        });
        var local = IPAddress.Loopback;

        await using (var client = await ExaiWsAsync(daemon, local, sessionId: "limited-1"))
        {
            AssertServed(await CallAsync(client, "c1"));
            AssertServed(await CallAsync(client, "c2"));
            AssertRefused(await CallAsync(client, "c3"), "c3", 60);
            AssertRefused(await CallAsync(client, "c4"), "c4", 60);
        }

        // The bucket is the session's, not the connection's: coming back under the same session id does not refill it.
        await using (var again = await ExaiWsAsync(daemon, local, sessionId: "limited-1"))
        {
            AssertRefused(await CallAsync(again, "c5"), "c5", 60);
        }

        // Another session from the same address is served, and so is an MCP session, until its own burst is spent.
        await using var fresh = await ExaiWsAsync(daemon, local);
        AssertServed(await CallAsync(fresh, "f1"));
        await using var mcp = await McpAsync(daemon, local);
        AssertServed(await McpCallAsync(mcp, 1));
        AssertServed(await McpCallAsync(mcp, 2));
        AssertMcpRefused(await McpCallAsync(mcp, 3), 60);

        // Over Streamable HTTP the session is the Mcp-Session-Id; a POST without one is a session of its own, which
        // the per-session limit does not count (the per-address limit does).
        using var http = new HttpClient(Handler(local));
        string session = await HttpInitializeAsync(daemon, http);
        for (int id = 1; id <= 2; id++)
        {
            AssertServed((await HttpCallAsync(daemon, http, id, session)).Result!);
        }

        AssertMcpRefused((await HttpCallAsync(daemon, http, 3, session)).Result!, 60);
        for (int id = 4; id <= 6; id++)
        {
            AssertServed((await HttpCallAsync(daemon, http, id)).Result!);
        }

        Assert.Equal(5, await MetricAsync(daemon, "exaifast_rate_limited_total", "calls_per_session"));

        // One bucket per session that called (limited-1, the fresh one, MCP over WebSocket, the HTTP session), none
        // per stateless POST; none of them full again yet, so none dropped.
        Assert.Equal(4, await MetricAsync(daemon, "exaifast_rate_limit_buckets", "calls_per_session"));
        Assert.Equal(0, await MetricAsync(daemon, "exaifast_rate_limited_total", "calls_per_ip"));
    }
}
