using System.Buffers;
using System.Text;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>
/// A big MCP <c>tools/call</c>: a message the transport hands over goes, with its document, to the call, which
/// reads its arguments where they arrived (no copy) and gives the message back exactly once when it ends — answered,
/// cancelled, or its session ended — and every refusal gives it back at once, exactly once. The payload's owner stands
/// in for the inbound budget and counts the returns.
/// </summary>
public class McpArgumentsLeaseTests
{
    [Fact]
    public async Task AnAnsweredCall_ReadsItsArgumentsWhereTheyArrived_AndGivesThemBackOnce()
    {
        await using var rig = new Rig();

        await rig.SendOwnedAsync(Call("1", """{"prompt":"hello"}"""));

        Assert.Equal("5", Text(await rig.Reply.ResponseAsync("\"1\"")));
        await rig.IdleAsync(releases: 1);
        Assert.Equal((1, 0), (rig.Tool.InPlace, rig.Tool.Copied));
    }

    [Fact]
    public async Task ASmallMessage_IsReadInPlaceToo_AndItsRentedArrayGoesBackToThePool()
    {
        await using var rig = new Rig();
        byte[] bytes = Encoding.UTF8.GetBytes(Call("1", """{"prompt":"hi"}"""));
        byte[] rented = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented, 0);
        rig.Tool.Payload = rented;

        await rig.Protocol.HandleAsync(rig.Session, new PooledBuffer(rented, bytes.Length), rig.Reply);

        Assert.Equal("2", Text(await rig.Reply.ResponseAsync("\"1\"")));
        await rig.IdleAsync(releases: 0);
        Assert.Equal((1, 0), (rig.Tool.InPlace, rig.Tool.Copied));
    }

    [Fact]
    public async Task BytesTheTransportKeeps_AreCopiedForTheCall()
    {
        await using var rig = new Rig();
        byte[] bytes = Encoding.UTF8.GetBytes(Call("1", """{"prompt":"abc"}"""));
        rig.Tool.Payload = bytes;

        rig.Protocol.Handle(rig.Session, bytes, rig.Reply); // stdio's small line, read in place in its pipe

        Assert.Equal("3", Text(await rig.Reply.ResponseAsync("\"1\"")));
        await rig.IdleAsync(releases: 0);
        Assert.Equal((0, 1), (rig.Tool.InPlace, rig.Tool.Copied));
    }

    [Fact]
    public async Task ARunningCall_HoldsItsMessage_UntilItIsCancelled()
    {
        await using var rig = new Rig();

        await rig.SendOwnedAsync(Call("1", """{"hold":true}"""));
        await Eventually(() => rig.Tool.Started == 1);
        Assert.Equal(0, rig.Owner.Releases);

        await rig.SendOwnedAsync("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"1"}}""");
        await rig.IdleAsync(releases: 2); // the cancel's own message, and the call's
        Assert.DoesNotContain(rig.Reply.Messages, m => (string?)m["id"] == "1");
    }

    [Fact]
    public async Task ARunningCall_GivesItsMessageBack_WhenItsSessionEnds()
    {
        await using var rig = new Rig();

        await rig.SendOwnedAsync(Call("1", """{"hold":true}"""));
        await rig.SendOwnedAsync(Call("2", """{"hold":true}""")); // waits for the session's one slot, holding its message too
        await Eventually(() => rig.Tool.Started == 1 && rig.Dispatcher.CallerWaiting == 1);
        Assert.Equal(0, rig.Owner.Releases);

        rig.Protocol.EndSession(rig.Session);
        await rig.IdleAsync(releases: 2);
    }

    [Fact]
    public async Task EveryRefusal_GivesTheMessageBack_ExactlyOnce()
    {
        await using var rig = new Rig(sessionQueueDepth: 0);
        await rig.SendOwnedAsync(Call("held", """{"hold":true}"""));
        await Eventually(() => rig.Tool.Started == 1);

        // Each of these is answered at once and gives its own message back; the held call keeps its own.
        string[] refused =
        [
            """{"jsonrpc":"2.0","id":"unknown","method":"tools/call","params":{"name":"nope","arguments":{}}}""",
            Call("invalid", """{"bad":1}"""),
            Call("held", """{"prompt":"the same id again"}"""),
            """{"jsonrpc":"2.0","id":"args","method":"tools/call","params":{"name":"hold","arguments":[1]}}""",
            """{"jsonrpc":"2.0","id":"ping","method":"ping"}""",
            """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
            "{ not json",
        ];
        for (int i = 0; i < refused.Length; i++)
        {
            await rig.SendOwnedAsync(refused[i]);
            Assert.Equal(i + 1, rig.Owner.Releases);
        }

        Assert.Contains("Unknown tool", (string?)(await rig.Reply.ResponseAsync("\"unknown\""))["error"]!["message"], StringComparison.Ordinal);
        Assert.True((bool)(await rig.Reply.ResponseAsync("\"invalid\""))["result"]!["isError"]!);

        // Over the session's one call in flight, with no room to wait for it: refused.
        await rig.SendOwnedAsync(Call("over", """{"prompt":"x"}"""));
        Assert.Contains("OVER_CAPACITY", (await rig.Reply.ResponseAsync("\"over\"")).ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(refused.Length + 1, rig.Owner.Releases);

        // A session that has ended takes no call.
        rig.Protocol.EndSession(rig.Session);
        await rig.IdleAsync(releases: refused.Length + 2);
        await rig.SendOwnedAsync(Call("late", """{"prompt":"x"}"""));
        await rig.IdleAsync(releases: refused.Length + 3);
        Assert.Equal(1, rig.Tool.Started);
    }

    private static string Call(string id, string arguments) =>
        $$$"""{"jsonrpc":"2.0","id":"{{{id}}}","method":"tools/call","params":{"name":"hold","arguments":{{{arguments}}}}}""";

    private static string? Text(System.Text.Json.Nodes.JsonObject response) => (string?)response["result"]?["content"]?[0]?["text"];

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A dispatcher with the hold tool behind MCP, one session, and an owner counting given-back messages.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public Rig(int sessionQueueDepth = 64)
        {
            Dispatcher = new Dispatcher(new DispatcherOptions
            {
                CallerMaxInflight = 1,
                CallerQueueDepth = sessionQueueDepth,
                LaneSlots = new Dictionary<string, int> { ["local"] = 2 },
            });
            Protocol = new McpProtocol(new DispatcherBackend(Dispatcher, new TestCatalog(Tool)), NullLogger.Instance);
        }

        public HoldTool Tool { get; } = new();

        public Dispatcher Dispatcher { get; }

        public McpProtocol Protocol { get; }

        public McpSession Session { get; } = new("mcp:lease", "test");

        public CollectingReply Reply { get; } = new();

        public CountingOwner Owner { get; } = new();

        /// <summary>Hands a message over as a transport does a big one (its owner takes it back).</summary>
        public async Task SendOwnedAsync(string json)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            Tool.Payload = bytes;
            await Protocol.HandleAsync(Session, new PooledBuffer(bytes, bytes.Length, Owner), Reply);
        }

        /// <summary>Waits until no call is left and <paramref name="releases"/> messages came back, then checks that no
        /// more come back than that.</summary>
        public async Task IdleAsync(int releases)
        {
            await Eventually(() => Dispatcher.Inflight == 0 && Dispatcher.InflightKeys == 0 && Dispatcher.CallerWaiting == 0 && Owner.Releases >= releases);
            Assert.Equal(releases, Owner.Releases);
        }

        public ValueTask DisposeAsync() => Dispatcher.DisposeAsync();
    }
}
