using System.Net;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The two doors name their callers in spaces that never meet: an exai-ws client, which picks its own
/// <c>session_id</c>, cannot pick one under which an MCP task's or session's calls are kept, and so cannot collect an
/// answer that was not its own by asking again with the same request id.
/// </summary>
public sealed class CallerSpaceTests
{
    [Fact]
    public async Task AnExaiWsClient_NamingAnMcpTasksCaller_RunsItsOwnCall_AndNeverGetsTheTasksResult()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_MODELS"] = "stream",
        });
        using var mcp = new ModernHttpClient(new Uri(daemon.HttpUri, "/mcp"));
        var arguments = new JsonObject { ["prompt"] = "Say hello.", ["model"] = "stream" };

        var (status, handle) = await mcp.CallToolAsync("chat", arguments);
        Assert.Equal(HttpStatusCode.OK, status);
        string taskId = (string)handle["result"]!["taskId"]!;
        hold.SetResult();
        var done = await mcp.WaitForTaskAsync(taskId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal(1, fake.RequestCount);

        // Every way an MCP task's or session's caller could be spelled (with no OAuth, a task's caller is made of its id
        // alone): none is granted, or, if it were, the same request id must still run a call of its own.
        foreach (string sessionId in new[] { "mcp-task-" + taskId, "mcp-task:" + taskId, "mcp-task_" + taskId })
        {
            await using var ws = await ExaiWsClient.ConnectAsync(daemon.Uri, sessionId: sessionId);
            Assert.NotEqual("mcp-task:" + taskId, ws.SessionId);
            int before = fake.RequestCount;
            await ws.CallAsync(taskId, "chat", arguments.DeepClone().AsObject());
            var answer = await ws.WaitForAsync(f => (string?)f["op"] == "call_tool_res");
            Assert.Equal(taskId, (string?)answer["request_id"]);
            Assert.Equal(before + 1, fake.RequestCount); // its own model request: not the task's stored answer
        }
    }
}
