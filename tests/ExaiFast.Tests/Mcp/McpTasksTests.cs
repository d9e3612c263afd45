using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;
using ExaiFast.Tests.Redis;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The tasks extension (ext-tasks <c>specification/draft/tasks.md</c>) through the real daemon and a model server that
/// holds its answers: a call still running after the window becomes a task, collected, cancelled and refused as the
/// extension says — on this daemon, through a WebSocket that closed, and through another daemon sharing Redis.
/// </summary>
public partial class McpTasksTests
{
    [GeneratedRegex("^[0-9a-f]{1,12}-[0-9a-f]{32}$")]
    private static partial Regex TaskIdShape();

    private static Dictionary<string, string> Env(FakeOpenAIServer fake) => new()
    {
        ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
        ["OPENAI_COMPATIBLE_MODELS"] = "stream,hang-headers",
    };

    private static JsonObject Chat(string model) => new() { ["prompt"] = "Say hello.", ["model"] = model };

    [Fact]
    public async Task ACallThatOutlastsTheWindow_BecomesATask_WhoseResultIsTheCallsOwn_ExactlyOnce()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var daemon = await Daemon.StartAsync(Env(fake));
        using var client = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));

        var (status, discovered) = await client.SendAsync("server/discover", []);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(discovered["result"]!["capabilities"]!["extensions"]!["io.modelcontextprotocol/tasks"]);

        var (created, handle) = await client.CallToolAsync("chat", Chat("stream"));
        Assert.Equal(HttpStatusCode.OK, created);
        var task = handle["result"]!.AsObject();
        Assert.Equal("task", (string?)task["resultType"]);
        Assert.Equal("working", (string?)task["status"]);
        string taskId = (string)task["taskId"]!;
        Assert.Matches(TaskIdShape(), taskId);
        Assert.Equal(600_000, (long)task["ttlMs"]!);
        Assert.Equal(1_000, (long)task["pollIntervalMs"]!);
        var createdAt = DateTimeOffset.Parse((string)task["createdAt"]!, CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow - createdAt, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.Null(task["content"]);

        var (_, working) = await client.TaskAsync("tasks/get", taskId);
        Assert.Equal("complete", (string?)working["result"]!["resultType"]);
        Assert.Equal("working", (string?)working["result"]!["status"]);
        Assert.Equal(1, fake.Held);

        hold.SetResult();
        var done = await client.WaitForTaskAsync(taskId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal("complete", (string?)done["resultType"]);
        var result = done["result"]!.AsObject();
        Assert.False((bool)result["isError"]!);
        Assert.Equal("openai", (string?)result["structuredContent"]!["provider"]);
        Assert.True(DateTimeOffset.Parse((string)done["lastUpdatedAt"]!, CultureInfo.InvariantCulture) >= createdAt);

        // The same call answered directly says the same; the task's model request was made once, and asking again
        // answers the same result without running anything.
        var (_, direct) = await client.CallToolAsync("chat", Chat("stream"));
        Assert.Equal((string?)direct["result"]!["content"]![0]!["text"], (string?)result["content"]![0]!["text"]);
        var again = await client.WaitForTaskAsync(taskId);
        Assert.Equal(done.ToJsonString(), again.ToJsonString());
        Assert.Equal(2, fake.RequestCount);

        // tasks/update has nothing to answer (these tasks never ask for input); cancelling an ended task leaves it ended.
        var (_, updated) = await client.SendAsync("tasks/update", new JsonObject { ["taskId"] = taskId, ["inputResponses"] = new JsonObject() }, name: taskId);
        Assert.Equal("complete", (string?)updated["result"]!["resultType"]);
        var (_, cancelled) = await client.TaskAsync("tasks/cancel", taskId);
        Assert.Equal("complete", (string?)cancelled["result"]!["resultType"]);
        Assert.Equal("completed", (string?)(await client.WaitForTaskAsync(taskId))["status"]);
    }

    [Fact]
    public async Task AQuickCall_AndACallOfAClientWithoutTheExtension_AreAnsweredAsCalls()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var daemon = await Daemon.StartAsync(Env(fake));
        using var tasking = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));
        using var plain = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"), tasks: false);

        var (_, quick) = await tasking.CallToolAsync("version", []);
        Assert.Equal("complete", (string?)quick["result"]!["resultType"]);
        Assert.NotNull(quick["result"]!["content"]);

        // Held past the window: a client that did not declare the extension still gets its result, when it comes.
        var call = plain.CallToolAsync("chat", Chat("stream"));
        await fake.WaitForHeldAsync(1);
        await Task.Delay(McpTasksWindow + TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.False(call.IsCompleted);
        hold.SetResult();
        var (_, answered) = await call;
        Assert.Equal("complete", (string?)answered["result"]!["resultType"]);
        Assert.False((bool)answered["result"]!["isError"]!);

        // Without the extension, a task's methods are refused as a missing capability.
        var (status, refused) = await plain.TaskAsync("tasks/get", "0-" + new string('0', 32));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32021, (int)refused["error"]!["code"]!);
        Assert.NotNull(refused["error"]!["data"]!["requiredCapabilities"]!["extensions"]!["io.modelcontextprotocol/tasks"]);
    }

    [Fact]
    public async Task ATaskOnlyTool_IsATaskAtOnce_AndOneThatRequiresTasks_RefusesAClientWithoutTheExtension()
    {
        // The conformance suite's fixtures: slow_compute is a task for every client that can take one, failing_job
        // answers only with a task, greet never is one.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAIFAST_CONFORMANCE_TOOLS"] = "true" });
        using var tasking = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));
        using var plain = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"), tasks: false);

        // A second is well inside the window, and still a task: no timing decides it.
        var (_, handle) = await tasking.CallToolAsync("slow_compute", new JsonObject { ["seconds"] = 1, ["label"] = "within" });
        Assert.Equal("task", (string?)handle["result"]!["resultType"]);
        string taskId = (string)handle["result"]!["taskId"]!;
        var done = await tasking.WaitForTaskAsync(taskId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal("within: computed after 1 s", (string?)done["result"]!["content"]![0]!["text"]);

        var (_, failing) = await tasking.CallToolAsync("failing_job", []);
        Assert.Equal("task", (string?)failing["result"]!["resultType"]);
        var failed = await tasking.WaitForTaskAsync((string)failing["result"]!["taskId"]!);
        Assert.Equal("completed", (string?)failed["status"]); // a tool error, not a protocol error
        Assert.True((bool)failed["result"]!["isError"]!);

        var (_, greeted) = await tasking.CallToolAsync("greet", new JsonObject { ["name"] = "World" });
        Assert.Equal("complete", (string?)greeted["result"]!["resultType"]);
        Assert.Equal("Hello, World!", (string?)greeted["result"]!["content"]![0]!["text"]);

        // Without the extension: slow_compute is answered as a call, failing_job is refused before it runs.
        var (_, direct) = await plain.CallToolAsync("slow_compute", new JsonObject { ["seconds"] = 0, ["label"] = "direct" });
        Assert.Equal("complete", (string?)direct["result"]!["resultType"]);
        Assert.Equal("direct: computed after 0 s", (string?)direct["result"]!["content"]![0]!["text"]);
        var (status, refused) = await plain.CallToolAsync("failing_job", []);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32021, (int)refused["error"]!["code"]!);
        Assert.Contains("failing_job", (string?)refused["error"]!["message"], StringComparison.Ordinal);
        Assert.NotNull(refused["error"]!["data"]!["requiredCapabilities"]!["extensions"]!["io.modelcontextprotocol/tasks"]);
    }

    // The daemon's window before a call becomes a task (McpTasks.DefaultAnswerWithin).
    private static readonly TimeSpan McpTasksWindow = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task CancellingATask_StopsItsModelRequest_AndTheTaskSaysCancelled()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(Env(fake));
        using var client = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));

        var (_, handle) = await client.CallToolAsync("chat", Chat("hang-headers"));
        string taskId = (string)handle["result"]!["taskId"]!;
        Assert.Equal(1, fake.OpenRequests);

        var (status, cancelled) = await client.TaskAsync("tasks/cancel", taskId);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("complete", (string?)cancelled["result"]!["resultType"]);
        await fake.WaitForNoOpenRequestsAsync(); // the model request was aborted
        var ended = await client.WaitForTaskAsync(taskId);
        Assert.Equal("cancelled", (string?)ended["status"]);
        Assert.Null(ended["result"]);
    }

    [Fact]
    public async Task UnknownExpiredAndMalformedTasks_AndRemovedMethods_AreRefusedAsTheExtensionSays()
    {
        await using var daemon = await Daemon.StartAsync();
        using var client = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));

        string unknown = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture) + "-" + new string('a', 32);
        string expired = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture) + "-" + new string('a', 32);
        foreach (var (taskId, message) in new[] { (unknown, "Task not found"), ("not-a-task", "Task not found"), (expired, "Task has expired") })
        {
            var (status, body) = await client.TaskAsync("tasks/get", taskId);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(-32602, (int)body["error"]!["code"]!);
            Assert.Equal("Failed to retrieve task: " + message, (string?)body["error"]!["message"]);
            (_, body) = await client.TaskAsync("tasks/cancel", taskId);
            Assert.Equal("Failed to cancel task: " + message, (string?)body["error"]!["message"]);
        }

        // The 2025-11-25 experimental methods are not the extension's.
        foreach (string removed in new[] { "tasks/result", "tasks/list" })
        {
            var (status, body) = await client.SendAsync(removed, new JsonObject { ["taskId"] = unknown });
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal(-32601, (int)body["error"]!["code"]!);
        }

        // Mcp-Name routes a task's requests: it must name the task, so a request naming none is refused at the header.
        foreach (var (parameters, name) in new[] { (new JsonObject { ["taskId"] = unknown }, "another"), (new JsonObject(), (string?)null) })
        {
            var (mismatch, routed) = await client.SendAsync("tasks/get", parameters, name);
            Assert.Equal(HttpStatusCode.BadRequest, mismatch);
            Assert.Equal(-32020, (int)routed["error"]!["code"]!);
        }
    }

    [Fact]
    public async Task ATaskStartedOverAWebSocket_OutlivesTheConnection()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var daemon = await Daemon.StartAsync(Env(fake));
        using var http = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));

        string taskId;
        await using (var ws = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp"))
        {
            await ws.SendAsync(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call",
                ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = Chat("stream"), ["_meta"] = http.Meta() },
            });
            var handle = await ws.WaitForAsync(m => (int?)m["id"] == 1, 30_000);
            Assert.Equal("task", (string?)handle["result"]!["resultType"]);
            taskId = (string)handle["result"]!["taskId"]!;

            // No headers here: a task request without its id is refused by the extension's own rule.
            await ws.SendAsync(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tasks/get", ["params"] = new JsonObject { ["_meta"] = http.Meta() },
            });
            var missing = await ws.WaitForAsync(m => (int?)m["id"] == 2, 30_000);
            Assert.Equal(-32602, (int)missing["error"]!["code"]!);
            Assert.Contains("\"taskId\"", (string?)missing["error"]!["message"], StringComparison.Ordinal);
        }

        hold.SetResult(); // the connection that started it is gone; its call goes on
        var done = await http.WaitForTaskAsync(taskId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.False((bool)done["result"]!["isError"]!);
        Assert.Equal(1, fake.RequestCount);
    }

    [Fact]
    public async Task ATaskStartedOnOneDaemon_IsCollectedAndCancelledThroughAnother_SharingRedis()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var pair = await DaemonPair.StartAsync(Env(fake));
        using var first = new ModernHttpClient(new Uri($"http://127.0.0.1:{pair.Ports[0]}/mcp"));
        using var second = new ModernHttpClient(new Uri($"http://127.0.0.1:{pair.Ports[1]}/mcp"));
        using var proxied = new ModernHttpClient(new Uri($"http://127.0.0.1:{pair.Nginx.Port}/mcp"));

        var (_, handle) = await first.CallToolAsync("chat", Chat("stream"));
        string taskId = (string)handle["result"]!["taskId"]!;
        var (_, elsewhere) = await second.TaskAsync("tasks/get", taskId);
        Assert.Equal("working", (string?)elsewhere["result"]!["status"]); // the other daemon knows it runs on the first

        hold.SetResult();
        var done = await second.WaitForTaskAsync(taskId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal(done.ToJsonString(), (await proxied.WaitForTaskAsync(taskId)).ToJsonString()); // whichever daemon nginx picks
        Assert.Equal(done.ToJsonString(), (await first.WaitForTaskAsync(taskId)).ToJsonString());

        // Cancelled through the daemon that does not run it: the first stops its model request.
        var (_, hanging) = await first.CallToolAsync("chat", Chat("hang-headers"));
        string hangingId = (string)hanging["result"]!["taskId"]!;
        var (status, cancelled) = await second.TaskAsync("tasks/cancel", hangingId);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("complete", (string?)cancelled["result"]!["resultType"]);
        await fake.WaitForNoOpenRequestsAsync();
        Assert.Equal("cancelled", (string?)(await second.WaitForTaskAsync(hangingId))["status"]);
    }
}
