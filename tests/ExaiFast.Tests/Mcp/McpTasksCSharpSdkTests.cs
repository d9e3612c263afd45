using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExaiFast.Server.Mcp;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// MCP tasks driven by the official C# SDK client (NuGet ModelContextProtocol 2.4.0) over Streamable HTTP: its
/// 2026-07-28 negotiation, the <c>_meta</c> it puts on every request (declaring the extension from its capabilities)
/// and its <c>Mcp-Method</c>/<c>Mcp-Name</c> headers. The SDK has no task types, so the task's requests go through its
/// raw <c>SendRequestAsync(JsonRpcRequest)</c>, the task's id as the request's routing name.
/// </summary>
public partial class McpTasksCSharpSdkTests
{
    private const string Tasks = "io.modelcontextprotocol/tasks";

    [GeneratedRegex("^[0-9a-f]{1,12}-[0-9a-f]{32}$")]
    private static partial Regex TaskIdShape();

    [Fact]
    public async Task TheSdk_CreatesATask_PollsItToTheCallsResult_CancelsAnother_AndIsRefusedAnUnknownOne()
    {
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_MODELS"] = "stream,hang-headers",
        });
        var ct = TestContext.Current.CancellationToken;

        var wire = new RecordingHandler();
        using var http = new HttpClient(wire);
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(daemon.HttpUri, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }, http);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" },
            Capabilities = new ClientCapabilities { Extensions = new Dictionary<string, object> { [Tasks] = new JsonObject() } },
        }, cancellationToken: ct);

        // Left to itself the SDK negotiates 2026-07-28 with server/discover: no initialize, so no session on the daemon.
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        Assert.Equal(0, daemon.Services.GetRequiredService<McpHttpSessions>().Count);
        Assert.True(client.ServerCapabilities.Extensions?.ContainsKey(Tasks) == true, "the daemon did not offer the tasks extension");

        // 1. A chat the model server holds past the window: the call's answer is a task handle, working.
        var handle = await StartTaskAsync(client, "stream", ct);
        string taskId = (string)handle["taskId"]!;
        var working = await TaskRequestAsync(client, "tasks/get", taskId, ct);
        Assert.Equal("working", (string?)working["status"]);
        Assert.Equal(taskId, (string?)working["taskId"]);
        Assert.True((long)working["pollIntervalMs"]! > 0);
        Assert.Null(working["result"]);
        Assert.Equal(1, fake.Held);

        hold.SetResult();
        var completed = await WaitForStatusAsync(client, taskId, "completed", ct);
        var result = completed["result"]!.AsObject();
        Assert.False((bool)result["isError"]!);
        Assert.Equal("openai", (string?)result["structuredContent"]!["provider"]);

        // The task's result is what the call answers: the same text, through the SDK's own call from a client that
        // does not declare the extension (so the answer is a call's whatever the machine's load).
        await using var plain = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(daemon.HttpUri, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" } }, cancellationToken: ct);
        var direct = await plain.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "Say hello.", ["model"] = "stream" }, cancellationToken: ct);
        Assert.NotEqual(true, direct.IsError);
        Assert.Equal(((TextContentBlock)direct.Content[0]).Text, (string?)result["content"]![0]!["text"]);
        Assert.Equal(2, fake.RequestCount);

        // 2. A chat whose model never answers, cancelled: the task ends cancelled and its model request is aborted.
        var hanging = await StartTaskAsync(client, "hang-headers", ct);
        string hangingId = (string)hanging["taskId"]!;
        Assert.Equal(1, fake.OpenRequests); // open at the model server until the daemon aborts it
        var cancel = await TaskRequestAsync(client, "tasks/cancel", hangingId, ct);
        Assert.Equal("complete", (string?)cancel["resultType"]);
        await fake.WaitForNoOpenRequestsAsync();
        var ended = await WaitForStatusAsync(client, hangingId, "cancelled", ct);
        Assert.Null(ended["result"]);
        Assert.Equal(3, fake.RequestCount);

        // 3. A task nobody made: the SDK surfaces the daemon's -32602 as its protocol exception.
        string unknown = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "-" + new string('a', 32);
        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => TaskRequestAsync(client, "tasks/get", unknown, ct));
        Assert.Equal(McpErrorCode.InvalidParams, refused.ErrorCode);
        Assert.Contains("Task not found", refused.Message, StringComparison.Ordinal);

        // The wire: never initialize; every request named 2026-07-28 in its header, and every task request carried
        // the extension in its _meta and its task's id in Mcp-Name (the SDK put them there, from the routing name).
        var posts = wire.Posts.ToArray();
        Assert.Equal("server/discover", (string?)posts[0].Body["method"]);
        Assert.DoesNotContain(posts, p => (string?)p.Body["method"] == "initialize");
        var taskPosts = posts.Where(p => ((string?)p.Body["method"])?.StartsWith("tasks/", StringComparison.Ordinal) == true).ToArray();
        Assert.True(taskPosts.Length >= 5, $"task requests on the wire: {taskPosts.Length}");
        Assert.All(posts.Skip(1), p => Assert.Equal("2026-07-28", p.Version));
        Assert.All(taskPosts, p =>
        {
            Assert.Equal((string?)p.Body["method"], p.Method);
            Assert.Equal((string?)p.Body["params"]!["taskId"], p.Name);
            Assert.NotNull(p.Body["params"]!["_meta"]!["io.modelcontextprotocol/clientCapabilities"]!["extensions"]![Tasks]);
        });
    }

    /// <summary>A <c>tools/call</c> of <c>chat</c> through the SDK's raw request: answered with a task handle, working.</summary>
    private static async Task<JsonObject> StartTaskAsync(McpClient client, string model, CancellationToken ct)
    {
        var response = await client.SendRequestAsync(new JsonRpcRequest
        {
            Method = "tools/call",
            Params = new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "Say hello.", ["model"] = model } },
        }, ct);
        var handle = response.Result!.AsObject();
        Assert.Equal("task", (string?)handle["resultType"]);
        Assert.Equal("working", (string?)handle["status"]);
        Assert.Matches(TaskIdShape(), (string?)handle["taskId"]);
        Assert.Null(handle["content"]);
        return handle;
    }

    /// <summary>A task's request (<c>tasks/get</c>, <c>tasks/cancel</c>) through the SDK's raw request; returns its result.</summary>
    private static async Task<JsonObject> TaskRequestAsync(McpClient client, string method, string taskId, CancellationToken ct)
    {
        var response = await client.SendRequestAsync(new JsonRpcRequest
        {
            Method = method,
            Params = new JsonObject { ["taskId"] = taskId },
#pragma warning disable MCPEXP002 // the SDK's only way to put a task's id in Mcp-Name, which the extension requires on HTTP
            Context = new JsonRpcMessageContext { RoutingName = taskId },
#pragma warning restore MCPEXP002
        }, ct);
        return response.Result!.AsObject();
    }

    /// <summary>Polls <c>tasks/get</c> while the task is working (bounded), and returns the answer once it is <paramref name="status"/>.</summary>
    private static async Task<JsonObject> WaitForStatusAsync(McpClient client, string taskId, string status, CancellationToken ct)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            var task = await TaskRequestAsync(client, "tasks/get", taskId, ct);
            Assert.Equal(taskId, (string?)task["taskId"]);
            if ((string?)task["status"] == status)
            {
                return task;
            }

            Assert.True((string?)task["status"] == "working", $"task {taskId}: {task.ToJsonString()}");
            Assert.True(Environment.TickCount64 < deadline, $"task {taskId} still working 30 s later");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Records each POST the SDK sends: its MCP headers and its JSON-RPC body.</summary>
    private sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public ConcurrentQueue<(string? Version, string? Method, string? Name, JsonObject Body)> Posts { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.Content is not null)
            {
                string body = await request.Content.ReadAsStringAsync(cancellationToken);
                if (JsonNode.Parse(body) is JsonObject message)
                {
                    Posts.Enqueue((Header(request, "MCP-Protocol-Version"), Header(request, "Mcp-Method"), Header(request, "Mcp-Name"), message));
                }
            }

            return await base.SendAsync(request, cancellationToken);
        }

        private static string? Header(HttpRequestMessage request, string name) =>
            request.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
    }
}
