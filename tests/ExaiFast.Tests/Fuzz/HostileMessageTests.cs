using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Fuzz;

/// <summary>
/// The hostile messages the fuzz found (<see cref="HostileInputTests"/>), each kept as a case of its own: the error the
/// protocol names for it, the same connection answering after it, and nothing at error level in the daemon's log.
/// </summary>
public class HostileMessageTests
{
    [Theory]
    [InlineData("""{"jsonrpc":2,"id":1,"method":"ping"}""", -32600)]
    [InlineData("""{"jsonrpc":["2.0"],"id":1,"method":"ping"}""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"\ud800"}""", -32700)]
    [InlineData("""{"jsonrpc":"2.0","id":"\udc00","method":"ping"}""", -32700)]
    [InlineData("""{"\ud83d":0,"jsonrpc":"2.0","id":1,"method":"ping"}""", -32700)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"a\ud83d"}}}""", -32700)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"x"},"_meta":{"progressToken":{}}}}""", -32602)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"x"},"_meta":5}}""", -32602)]
    public async Task Mcp_AMessageWithAFieldNoReaderCanTake_GetsItsJsonRpcError_AndTheConnectionGoesOn(string message, int code)
    {
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_LOG_LEVEL"] = "debug" }, log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
            await client.SendRawAsync(message);
            var answer = await client.NextAsync();
            Assert.Equal(code, (int)answer["error"]!["code"]!);
            await PingAsync(client);
        }

        AssertNoErrorLogged(log);
    }

    [Theory]
    [InlineData("""{"prompt":"x","local_latency_ms":null}""")]
    [InlineData("""{"prompt":"x","local_latency_ms":0.0}""")]
    public async Task Mcp_ArgumentsAsValidatedAreReadAsValidated_TheCallSucceeds(string arguments)
    {
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_LOG_LEVEL"] = "debug" }, log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
            foreach (string tool in new[] { "chat", "challenge" })
            {
                await client.SendRawAsync($$"""{"jsonrpc":"2.0","id":"{{tool}}","method":"tools/call","params":{"name":"{{tool}}","arguments":""" + arguments + "}}");
                var result = (await client.NextAsync())["result"]!;
                Assert.False((bool)result["isError"]!, result.ToJsonString());
            }
        }

        AssertNoErrorLogged(log);
    }

    [Theory]
    [InlineData("""{"op":"ping","\ud800":7}""", null)]
    [InlineData("""{"op":"ping","request_id":"\udc00"}""", null)]
    [InlineData("""{"op":"call_tool","request_id":"r","name":"chat","arguments":{"prompt":"\ud800"}}""", null)]
    [InlineData("""{"op":"call_tool","request_id":true,"name":"chat","arguments":{"prompt":"x"}}""", null)]
    [InlineData("""{"op":"cancel","request_id":{"id":"r"}}""", null)]
    [InlineData("""{"op":"ping","id":[1]}""", null)]
    public async Task ExaiWs_AFrameWithAFieldNoReaderCanTake_IsAnInvalidRequest_AndTheConnectionGoesOn(string frame, string? requestId)
    {
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_LOG_LEVEL"] = "debug" }, log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
            await client.SendRawAsync(frame);
            var answer = await client.NextAsync();
            Assert.Equal("error", (string?)answer["op"]);
            Assert.Equal("INVALID_REQUEST", (string?)answer["error"]!["code"]);
            Assert.Equal(requestId, (string?)answer["request_id"]);
            await client.SendAsync(new JsonObject { ["op"] = "ping", ["request_id"] = "after" });
            Assert.Equal("pong", (string?)(await client.NextAsync())["op"]);
        }

        AssertNoErrorLogged(log);
    }

    [Fact]
    public async Task ExaiWs_AHelloWhoseTokenIsHalfASurrogatePair_IsAnInvalidHello_NotAnInternalError()
    {
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_LOG_LEVEL"] = "debug", ["EXAI_WS_TOKEN"] = "t" }, log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false);
            await client.SendRawAsync("""{"op":"hello","token":"a\ud83d","session_id":"s-1"}""");
            var ack = await client.NextAsync();
            Assert.Equal(("hello_ack", false, "invalid_hello"), ((string?)ack["op"], (bool?)ack["ok"], (string?)ack["error"]));
            Assert.Equal(4000, (int?)await client.ClosedAsync());
        }

        AssertNoErrorLogged(log);
    }

    [Fact]
    public async Task ExaiWs_ACallWithANullLatency_Succeeds()
    {
        var log = new LogCapture();
        await using (var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_LOG_LEVEL"] = "debug" }, log: log))
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
            await client.SendRawAsync("""{"op":"call_tool","request_id":"n","name":"planner","arguments":{"step":"s","step_number":1,"total_steps":1,"next_step_required":false,"local_latency_ms":null}}""");
            var result = await client.ResultAsync("n");
            Assert.True((bool)result["ok"]!, result.ToJsonString());
        }

        AssertNoErrorLogged(log);
    }

    private static async Task PingAsync(ExaiWsClient client)
    {
        await client.SendRawAsync("""{"jsonrpc":"2.0","id":"after","method":"ping"}""");
        var pong = await client.NextAsync();
        Assert.Equal(JsonValueKind.String, pong["id"]!.GetValueKind());
        Assert.Equal("after", (string?)pong["id"]);
        Assert.NotNull(pong["result"]);
    }

    private static void AssertNoErrorLogged(LogCapture log)
    {
        Assert.NotEmpty(log.Lines);
        Assert.Empty(LogCapture.Failures(log.Lines));
    }
}
