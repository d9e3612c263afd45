using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Tools;

/// <summary>
/// chat keeps conversations, end to end (the real composition root, real sockets on 127.0.0.1): every answer opens or
/// continues a thread whose <c>continuation_id</c> comes back at the top level over exai-ws and MCP (and, for MCP, in a
/// last text item); a continuation sends the history to the model — the offline local model says how many earlier
/// messages it got, the fake OpenAI-compatible server shows them in order — and keeps the thread's model; files are
/// embedded numbered by line; an unknown, malformed or full thread is a clear INVALID_ARGUMENTS naming the field.
/// </summary>
public class ChatContinuationTests
{
    private static async Task<JsonObject> ChatAsync(ExaiWsClient client, string requestId, JsonObject arguments)
    {
        await client.CallAsync(requestId, "chat", arguments);
        return await client.ResultAsync(requestId, timeoutMs: 60_000);
    }

    private static JsonObject Ok(JsonObject result)
    {
        Assert.True((bool)result["ok"]!, result.ToJsonString());
        return result;
    }

    private static string ThreadOf(JsonObject result)
    {
        string? id = (string?)Ok(result)["continuation_id"];
        Assert.True(Guid.TryParse(id, out _), $"no continuation_id: {result.ToJsonString()}");
        return id!;
    }

    private static (string Code, string Message) Error(JsonObject result)
    {
        Assert.False((bool)result["ok"]!, result.ToJsonString());
        return ((string)result["error"]!["code"]!, (string)result["error"]!["message"]!);
    }

    [Fact]
    public async Task EveryAnswer_OpensAThread_AndEachContinuationSendsTheHistory()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

        var first = Ok(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "Remember the number 7." }));
        string thread = ThreadOf(first);
        Assert.DoesNotContain("earlier message", (string)first["text"]!, StringComparison.Ordinal);

        var second = Ok(await ChatAsync(client, "r2", new JsonObject { ["prompt"] = "Which number?", ["continuation_id"] = thread }));
        Assert.Contains("after 2 earlier messages of conversation", (string)second["text"]!, StringComparison.Ordinal);
        Assert.Equal(thread, (string?)second["continuation_id"]); // the same thread goes on

        var third = Ok(await ChatAsync(client, "r3", new JsonObject { ["prompt"] = "And again?", ["continuation_id"] = thread }));
        Assert.Contains("after 4 earlier messages of conversation", (string)third["text"]!, StringComparison.Ordinal);

        // A call without continuation_id opens another thread: no history.
        var other = Ok(await ChatAsync(client, "r4", new JsonObject { ["prompt"] = "Which number?" }));
        Assert.NotEqual(thread, ThreadOf(other));
        Assert.DoesNotContain("earlier message", (string)other["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AThread_IsSharedAcrossConnectionsAndFrontDoors_ExaiWsThenMcp()
    {
        await using var daemon = await Daemon.StartAsync();
        string thread;
        await using (var exaiWs = await ExaiWsClient.ConnectAsync(daemon.Uri))
        {
            thread = ThreadOf(await ChatAsync(exaiWs, "r1", new JsonObject { ["prompt"] = "first" }));
        }

        await using var mcp = await McpAsync(daemon.Uri);
        var result = await McpCallAsync(mcp, 2, new JsonObject { ["prompt"] = "second", ["continuation_id"] = thread });
        Assert.False((bool)result["isError"]!, result.ToJsonString());
        Assert.Equal(thread, (string?)result["continuation_id"]); // at the top level of the tools/call result
        var content = result["content"]!.AsArray();
        Assert.Equal(2, content.Count);
        Assert.Contains("after 2 earlier messages of conversation", (string)content[0]!["text"]!, StringComparison.Ordinal);
        Assert.Equal($"continuation_id: {thread} (pass it as continuation_id to continue this conversation with its history)", (string?)content[^1]!["text"]);

        // … and back on exai-ws, the thread holds both turns.
        await using var again = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var third = Ok(await ChatAsync(again, "r3", new JsonObject { ["prompt"] = "third", ["continuation_id"] = thread }));
        Assert.Contains("after 4 earlier messages of conversation", (string)third["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_ANewConversation_CarriesItsContinuationId_AtTheTopAndAsTheLastTextItem()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await McpAsync(daemon.Uri);
        var result = await McpCallAsync(mcp, 2, new JsonObject { ["prompt"] = "hello" });
        string? thread = (string?)result["continuation_id"];
        Assert.True(Guid.TryParse(thread, out _), result.ToJsonString());
        var content = result["content"]!.AsArray();
        Assert.Equal("text", (string?)content[^1]!["type"]);
        Assert.Contains(thread!, (string)content[^1]!["text"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("continuation_id", (string)content[0]!["text"]!, StringComparison.Ordinal); // the answer stays the answer

        var next = await McpCallAsync(mcp, 3, new JsonObject { ["prompt"] = "again", ["continuation_id"] = thread });
        Assert.Contains("after 2 earlier messages", (string)next["content"]![0]!["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExaiWs_TheAnswerTextIsTheAnswerAlone()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var result = Ok(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "hello" }));
        Assert.DoesNotContain("continuation_id", (string)result["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownThread_IsInvalidArguments_NamingTheField()
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var unknown = Guid.NewGuid();
        var (code, message) = Error(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "hi", ["continuation_id"] = unknown.ToString() }));
        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.StartsWith($"'continuation_id': no conversation thread {unknown}", message, StringComparison.Ordinal);
        Assert.Contains("CONVERSATION_TIMEOUT_HOURS", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"not-a-uuid\"", "'continuation_id' must be a UUID (as an earlier answer returned it)")]
    [InlineData("\"\"", "'continuation_id' must be a non-empty string")]
    [InlineData("12", "'continuation_id' must be a non-empty string")]
    public async Task AMalformedContinuationId_IsInvalidArguments_NamingTheField(string value, string expected)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        var (code, message) = Error(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "hi", ["continuation_id"] = JsonNode.Parse(value) }));
        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Equal(expected, message);
    }

    [Fact]
    public async Task AFullThread_IsAClearError_AndItsLastAnswerOffersNoContinuation()
    {
        await using var daemon = await Daemon.StartAsync(new() { ["MAX_CONVERSATION_TURNS"] = "3" });
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        string thread = ThreadOf(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "one" }));
        Assert.Equal(thread, ThreadOf(await ChatAsync(client, "r2", new JsonObject { ["prompt"] = "two", ["continuation_id"] = thread })));

        // The third turn fills the thread: answered, with nothing left to continue.
        var last = Ok(await ChatAsync(client, "r3", new JsonObject { ["prompt"] = "three", ["continuation_id"] = thread }));
        Assert.Contains("after 4 earlier messages", (string)last["text"]!, StringComparison.Ordinal);
        Assert.Null(last["continuation_id"]);

        var (code, message) = Error(await ChatAsync(client, "r4", new JsonObject { ["prompt"] = "four", ["continuation_id"] = thread }));
        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Equal($"'continuation_id': conversation thread {thread} holds its 3 turns (MAX_CONVERSATION_TURNS); leave continuation_id out to start a new one", message);
    }

    [Fact]
    public async Task FakeServer_AContinuationSendsTheHistoryInOrder_AndKeepsTheThreadsModel()
    {
        // "stream" is not the first model the server offers: a continuation that lost its model would not land on it.
        await using var rig = await ProviderRig.StartAsync(script: f => f.StreamChunks = 2);
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

        string thread = ThreadOf(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "What is 6 x 7?", ["model"] = "stream" }));
        var second = Ok(await ChatAsync(client, "r2", new JsonObject { ["prompt"] = "And 6 x 8?", ["continuation_id"] = thread }));
        Assert.Equal("stream", (string?)second["metrics"]!["model"]);
        Assert.Equal("continuation keeps its thread's model 'stream'", (string?)second["metrics"]!["route"]);

        var requests = rig.Fake.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("stream", (string?)requests[1].Body["model"]);
        var messages = requests[1].Body["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "user"], messages.Select(m => (string)m!["role"]!).ToArray());
        Assert.Equal((string?)requests[0].Body["messages"]![0]!["content"], (string?)messages[0]!["content"]); // the tool's system prompt
        Assert.Equal("[chat] What is 6 x 7?", (string?)messages[1]!["content"]);
        Assert.Equal("chunk0 chunk1 ", (string?)messages[2]!["content"]); // the first answer, as the server gave it
        Assert.Equal("And 6 x 8?", (string?)messages[3]!["content"]);

        // Naming another model switches the thread to it; the next continuation keeps the new one.
        Ok(await ChatAsync(client, "r3", new JsonObject { ["prompt"] = "third", ["continuation_id"] = thread, ["model"] = "answer" }));
        Ok(await ChatAsync(client, "r4", new JsonObject { ["prompt"] = "fourth", ["continuation_id"] = thread }));
        requests = rig.Fake.Requests.ToArray();
        Assert.Equal(["stream", "stream", "answer", "answer"], requests.Select(r => (string)r.Body["model"]!).ToArray());
        var fourth = requests[3].Body["messages"]!.AsArray();
        Assert.Equal(
            ["[chat] What is 6 x 7?", "chunk0 chunk1 ", "[chat] And 6 x 8?", "chunk0 chunk1 ", "[chat] third", FakeOpenAIServer.Answer, "fourth"],
            fourth.Skip(1).Select(m => (string)m!["content"]!).ToArray());
    }

    [Fact]
    public async Task FakeServer_Files_AreEmbeddedNumberedByLine_AndTheThreadRemembersTheirNames()
    {
        var dir = Directory.CreateTempSubdirectory("exaifast-chat-files-");
        try
        {
            string path = Path.Combine(dir.FullName, "Program.cs");
            await File.WriteAllTextAsync(path, "int x = 1;\nint y = 2;\n", TestContext.Current.CancellationToken);
            await using var rig = await ProviderRig.StartAsync();
            await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);

            string thread = ThreadOf(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "Review this.", ["model"] = "answer", ["files"] = new JsonArray(path) }));
            string sent = (string)rig.Fake.Requests.Single().Body["messages"]![1]!["content"]!;
            Assert.Equal($"Review this.\n\nFiles:\n--- BEGIN FILE: {path} (2 lines) ---\n   1│ int x = 1;\n   2│ int y = 2;\n--- END FILE: {path} ---\n", sent);

            // The history recalls which files the turn named, not their whole text again.
            Ok(await ChatAsync(client, "r2", new JsonObject { ["prompt"] = "And now?", ["continuation_id"] = thread }));
            var messages = rig.Fake.Requests.ToArray()[1].Body["messages"]!.AsArray();
            Assert.Equal($"[chat] Review this.\n(files: {path})", (string?)messages[1]!["content"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Files_ThatCannotBeRead_AreInvalidArguments_NamingTheFile_AndNoModelIsAsked()
    {
        await using var rig = await ProviderRig.StartAsync();
        await using var client = await ExaiWsClient.ConnectAsync(rig.Daemon.Uri);
        string missing = Path.Combine(Path.GetTempPath(), $"exaifast-missing-{Guid.NewGuid():N}.txt");
        var (code, message) = Error(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "Review.", ["model"] = "answer", ["files"] = new JsonArray(missing) }));
        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Equal($"'files': '{missing}' does not exist", message);

        (code, message) = Error(await ChatAsync(client, "r2", new JsonObject { ["prompt"] = "Review.", ["model"] = "answer", ["files"] = new JsonArray("src/Program.cs") }));
        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.StartsWith("'files': 'src/Program.cs' is not an absolute path", message, StringComparison.Ordinal);
        Assert.Equal(0, rig.Fake.RequestCount);
    }

    [Fact]
    public async Task FileSettings_AreTheDaemonsCaps()
    {
        var dir = Directory.CreateTempSubdirectory("exaifast-chat-caps-");
        try
        {
            string small = Path.Combine(dir.FullName, "small.txt");
            string big = Path.Combine(dir.FullName, "big.txt");
            await File.WriteAllTextAsync(small, new string('s', 1000), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(big, new string('b', 1025), TestContext.Current.CancellationToken);
            await using var daemon = await Daemon.StartAsync(new()
            {
                ["EXAIFAST_FILE_MAX_KB"] = "1", ["EXAIFAST_FILES_MAX_KB"] = "1", ["EXAIFAST_FILE_ROOTS"] = dir.FullName,
            });
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);

            Ok(await ChatAsync(client, "r1", new JsonObject { ["prompt"] = "ok", ["files"] = new JsonArray(small) }));
            Assert.Contains("EXAIFAST_FILE_MAX_KB", Error(await ChatAsync(client, "r2", new JsonObject { ["prompt"] = "big", ["files"] = new JsonArray(big) })).Message, StringComparison.Ordinal);
            string again = Path.Combine(dir.FullName, "small2.txt");
            File.Copy(small, again);
            Assert.Contains("EXAIFAST_FILES_MAX_KB", Error(await ChatAsync(client, "r3", new JsonObject { ["prompt"] = "two", ["files"] = new JsonArray(small, again) })).Message, StringComparison.Ordinal);
            string outside = typeof(ChatContinuationTests).Assembly.Location;
            Assert.Contains("EXAIFAST_FILE_ROOTS", Error(await ChatAsync(client, "r4", new JsonObject { ["prompt"] = "out", ["files"] = new JsonArray(outside) })).Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    internal static async Task<ExaiWsClient> McpAsync(Uri uri)
    {
        var client = await ExaiWsClient.ConnectAsync(uri, hello: false, subprotocol: "mcp");
        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "t", ["version"] = "1" } },
        });
        await client.WaitForAsync(m => (int?)m["id"] == 1);
        return client;
    }

    internal static async Task<JsonObject> McpCallAsync(ExaiWsClient client, int id, JsonObject arguments)
    {
        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = arguments },
        });
        return (await client.WaitForAsync(m => m["method"] is null && (int?)m["id"] == id, 60_000))["result"]!.AsObject();
    }
}
