using System.Net;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Mcp;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.OAuth;

/// <summary>
/// MCP tasks in OAuth mode belong to the subject whose token made them (ext-tasks "Security Considerations"): another
/// subject, and the operator with the daemon's own token, are answered as if no such task existed — over Streamable HTTP
/// and over an MCP WebSocket — while another token of the same subject reaches it.
/// </summary>
public class OAuthTaskOwnershipTests
{
    private static JsonObject Chat(string model) => new() { ["prompt"] = "Say hello.", ["model"] = model };

    [Fact]
    public async Task ATask_IsItsSubjects_AnyoneElseIsToldThereIsNoSuchTask()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        string daemonToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await using var daemon = await OAuthDaemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_MODELS"] = "stream,hang-headers",
            ["EXAI_WS_TOKEN"] = daemonToken,
        });
        var mcp = new Uri($"http://127.0.0.1:{daemon.Port}/mcp");
        string TokenOf(string subject)
        {
            var claims = daemon.Issuer.Claims(OAuthDaemon.Audience);
            claims["sub"] = subject;
            return daemon.Issuer.SignRs256(claims);
        }

        using var alice = new ModernHttpClient(mcp, bearer: TokenOf("alice"));
        using var aliceAgain = new ModernHttpClient(mcp, bearer: TokenOf("alice")); // another token, the same subject
        using var bob = new ModernHttpClient(mcp, bearer: TokenOf("bob"));
        using var operatorClient = new ModernHttpClient(mcp, bearer: daemonToken);

        var (_, handle) = await alice.CallToolAsync("chat", Chat("stream"));
        Assert.Equal("task", (string?)handle["result"]!["resultType"]);
        string taskId = (string)handle["result"]!["taskId"]!;

        foreach (var stranger in new[] { bob, operatorClient })
        {
            foreach (var (method, verb) in new[] { ("tasks/get", "retrieve"), ("tasks/cancel", "cancel"), ("tasks/update", "update") })
            {
                var (status, refused) = await stranger.TaskAsync(method, taskId);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.True(refused["error"] is not null, $"{method} of another's task: {refused.ToJsonString()}");
                Assert.Equal(-32602, (int)refused["error"]!["code"]!);
                Assert.Equal($"Failed to {verb} task: Task not found", (string?)refused["error"]!["message"]);
            }
        }

        // Bob's cancel changed nothing: the task still works, its model request still held.
        var (_, working) = await aliceAgain.TaskAsync("tasks/get", taskId);
        Assert.Equal("working", (string?)working["result"]!["status"]);
        Assert.Equal(1, fake.Held);

        // An MCP WebSocket is its upgrade's subject.
        var overWebSocket = await GetOverWebSocketAsync(daemon, TokenOf("bob"), alice, taskId);
        Assert.Equal("Failed to retrieve task: Task not found", (string?)overWebSocket["error"]?["message"]);
        Assert.Equal("working", (string?)(await GetOverWebSocketAsync(daemon, TokenOf("alice"), alice, taskId))["result"]?["status"]);

        hold.SetResult();
        var done = await aliceAgain.WaitForTaskAsync(taskId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal("Failed to retrieve task: Task not found", (string?)(await bob.TaskAsync("tasks/get", taskId)).Body["error"]?["message"]);

        // A task made over a WebSocket is its subject's too: Alice cannot cancel Bob's, Bob can.
        string bobsTask;
        await using (var ws = await ExaiWsClient.ConnectAsync(daemon.WebSocketUri, hello: false, subprotocol: "mcp", bearer: TokenOf("bob")))
        {
            await ws.SendAsync(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call",
                ["params"] = new JsonObject { ["name"] = "chat", ["arguments"] = Chat("hang-headers"), ["_meta"] = bob.Meta() },
            });
            var created = await ws.WaitForAsync(m => (int?)m["id"] == 1, 30_000);
            Assert.Equal("task", (string?)created["result"]!["resultType"]);
            bobsTask = (string)created["result"]!["taskId"]!;
        }

        Assert.Equal("Failed to cancel task: Task not found", (string?)(await alice.TaskAsync("tasks/cancel", bobsTask)).Body["error"]?["message"]);
        Assert.Equal("working", (string?)(await bob.TaskAsync("tasks/get", bobsTask)).Body["result"]!["status"]);
        Assert.Equal(1, fake.OpenRequests);
        Assert.Equal("complete", (string?)(await bob.TaskAsync("tasks/cancel", bobsTask)).Body["result"]!["resultType"]);
        await fake.WaitForNoOpenRequestsAsync();
        Assert.Equal("cancelled", (string?)(await bob.WaitForTaskAsync(bobsTask))["status"]);
    }

    // tasks/get over an MCP WebSocket opened with bearer; returns the response.
    private static async Task<JsonObject> GetOverWebSocketAsync(OAuthDaemon daemon, string bearer, ModernHttpClient metaOf, string taskId)
    {
        await using var ws = await ExaiWsClient.ConnectAsync(daemon.WebSocketUri, hello: false, subprotocol: "mcp", bearer: bearer);
        await ws.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 7, ["method"] = "tasks/get",
            ["params"] = new JsonObject { ["taskId"] = taskId, ["_meta"] = metaOf.Meta() },
        });
        return await ws.WaitForAsync(m => (int?)m["id"] == 7, 30_000);
    }
}
