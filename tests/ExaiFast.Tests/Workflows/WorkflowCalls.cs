using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tools.Workflows;

namespace ExaiFast.Tests.Workflows;

/// <summary>Calls of the workflow tools over exai-ws and MCP, and what their answers hold.</summary>
internal static class WorkflowCalls
{
    private static long s_ids;

    /// <summary>The ten workflow tools built on the engine (planner and consensus have their own tests).</summary>
    public static readonly string[] Tools = [.. WorkflowCatalog.All.Select(s => s.Name)];

    public static TheoryData<string> ToolNames => new(Tools);

    /// <summary>The arguments of one step (local latency 0: the offline model answers at once).</summary>
    public static JsonObject Step(int number, int total, bool more, string findings, string? continuation = null, JsonObject? extra = null)
    {
        var args = new JsonObject
        {
            ["step"] = $"step {number}: looking further",
            ["step_number"] = number,
            ["total_steps"] = total,
            ["next_step_required"] = more,
            ["findings"] = findings,
            ["local_latency_ms"] = 0,
        };
        if (continuation is not null)
        {
            args["continuation_id"] = continuation;
        }

        foreach (var (key, value) in extra ?? [])
        {
            args[key] = value?.DeepClone();
        }

        return args;
    }

    /// <summary>Calls <paramref name="tool"/> over exai-ws; its <c>call_tool_res</c> frame.</summary>
    public static async Task<JsonObject> CallAsync(ExaiWsClient client, string tool, JsonObject arguments, int timeoutMs = 60_000)
    {
        string id = $"w{Interlocked.Increment(ref s_ids)}";
        await client.CallAsync(id, tool, arguments);
        return await client.ResultAsync(id, timeoutMs);
    }

    /// <summary>Calls <paramref name="tool"/> over exai-ws; the tool's JSON answer (the call must succeed).</summary>
    public static async Task<JsonObject> OkAsync(ExaiWsClient client, string tool, JsonObject arguments)
    {
        var frame = await CallAsync(client, tool, arguments);
        Assert.True((bool)frame["ok"]!, frame.ToJsonString());
        var body = Body(frame);
        if (body["continuation_id"] is { } thread)
        {
            Assert.Equal((string?)thread, (string?)frame["continuation_id"]); // at the frame's top level too
        }

        return body;
    }

    /// <summary>Calls <paramref name="tool"/> over exai-ws; the call's error (the call must fail).</summary>
    public static async Task<(string Code, string Message)> ErrorAsync(ExaiWsClient client, string tool, JsonObject arguments)
    {
        var frame = await CallAsync(client, tool, arguments);
        Assert.False((bool)frame["ok"]!, frame.ToJsonString());
        return ((string)frame["error"]!["code"]!, (string)frame["error"]!["message"]!);
    }

    public static JsonObject Body(JsonObject frame) => JsonNode.Parse((string)frame["text"]!)!.AsObject();

    /// <summary>The strings of <paramref name="node"/>, an array.</summary>
    public static string[] Strings(JsonNode? node) => [.. node!.AsArray().Select(n => (string)n!)];

    /// <summary>An MCP session over the WebSocket <c>mcp</c> subprotocol, initialized.</summary>
    public static async Task<ExaiWsClient> McpAsync(Daemon daemon)
    {
        var client = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 0, ["method"] = "initialize",
            ["params"] = new JsonObject { ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "wf", ["version"] = "1" } },
        });
        await client.WaitForAsync(m => (int?)m["id"] == 0);
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
        return client;
    }

    /// <summary>A JSON-RPC request over an MCP session; its response.</summary>
    public static async Task<JsonObject> McpRequestAsync(ExaiWsClient client, string method, JsonObject parameters)
    {
        int id = (int)(Interlocked.Increment(ref s_ids) % 1_000_000) + 1;
        await client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        return await client.WaitForAsync(m => m["method"] is null && (int?)m["id"] == id, 60_000);
    }
}
