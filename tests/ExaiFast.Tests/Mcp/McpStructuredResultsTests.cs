using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// Tool titles, annotations, output schemas and structured results (MCP 2025-06-18 on), read by the official TypeScript
/// SDK (which validates structuredContent against outputSchema in callTool) and the official C# SDK; and the revisions
/// before, which see none of the fields they do not define.
/// </summary>
public class McpStructuredResultsTests
{
    private static JsonObject Request(JsonNode id, string method, JsonObject? parameters = null) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };

    [Theory]
    [InlineData("ws")]
    [InlineData("http")]
    public async Task TheTypeScriptSdk_ValidatesEveryStructuredResult_AndReadsTitlesAndHints(string transport)
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "sdk")),
            "tests/clients/node_modules/@modelcontextprotocol/sdk is missing: run scripts/test.sh (it runs npm ci)");
        await using var daemon = await Daemon.StartAsync();

        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("mcp-structured-client.mjs", [transport, daemon.HttpUri.ToString()]);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        var report = JsonNode.Parse(stdout)!;
        Assert.Equal(ExpectedTools.Names, report["tools"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        SameJson("""{"title":"Chat","readOnlyHint":true}""", report["tools"]!["chat"]); // open world: MCP's default, unwritten
        SameJson("""{"title":"Debug","readOnlyHint":true}""", report["tools"]!["debug"]);
        SameJson("""{"title":"Version","readOnlyHint":true,"openWorldHint":false,"idempotentHint":true}""", report["tools"]!["version"]);

        var chat = report["chat"]!;
        Assert.Equal("ok", (string?)chat["status"]);
        Assert.True(Guid.TryParse((string?)chat["continuation_id"], out _), chat.ToJsonString());
        Assert.Equal("local", (string?)chat["provider"]);
        Assert.False(string.IsNullOrEmpty((string?)chat["model"]));

        var step = report["step"]!;
        Assert.Equal("debug_in_progress", (string?)step["status"]); // the step's own status, lifted from its JSON answer
        Assert.Equal("debug", (string?)step["next_call"]!["tool"]);
        Assert.Equal(2, (int)step["next_call"]!["arguments"]!["step_number"]!);
        Assert.Equal((string?)step["continuation_id"], (string?)step["next_call"]!["arguments"]!["continuation_id"]);

        SameJson("""{"status":"ok"}""", report["listed"]);
        SameJson("""{"status":"error","error_code":"INVALID_ARGUMENTS"}""", report["failed"]);
    }

    [Fact]
    public async Task TheCSharpSdk_ReadsTitlesHintsAndOutputSchemas_AndEveryResultConformsToItsSchema()
    {
        await using var daemon = await Daemon.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(daemon.HttpUri, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" } }, cancellationToken: ct);

        var tools = (await client.ListToolsAsync(cancellationToken: ct)).ToDictionary(t => t.Name);
        Assert.Equal(ExpectedTools.Names, tools.Keys.Order(StringComparer.Ordinal));
        Assert.All(tools.Values, t => Assert.Equal(JsonValueKind.Object, t.ProtocolTool.OutputSchema?.ValueKind));
        Assert.Equal("Code review", tools["codereview"].ProtocolTool.Title);
        Assert.True(tools["codereview"].ProtocolTool.Annotations?.ReadOnlyHint);
        Assert.Null(tools["codereview"].ProtocolTool.Annotations?.OpenWorldHint); // open world: MCP's default, unwritten
        Assert.Null(tools["codereview"].ProtocolTool.Annotations?.IdempotentHint); // only where true
        Assert.False(tools["planner"].ProtocolTool.Annotations?.OpenWorldHint); // no model call
        Assert.True(tools["status"].ProtocolTool.Annotations?.IdempotentHint);

        // Each outputSchema declares what that tool's results can carry, and no more (each field costs every listing).
        Assert.Equal(["status", "continuation_id", "model", "provider", "next_call", "usage", "error_code", "truncated"], Declared(tools["debug"]));
        Assert.Equal(["status", "continuation_id", "model", "provider", "usage", "error_code", "truncated"], Declared(tools["chat"]));
        Assert.Equal(["status", "continuation_id", "error_code", "truncated"], Declared(tools["planner"]));
        Assert.Equal(["status", "error_code", "truncated"], Declared(tools["listmodels"]));

        // MCP clients are not shown exai-ws's stream switch or the test latency knob, yet a call may still send them.
        Assert.All(tools.Values, t => Assert.False(t.ProtocolTool.InputSchema.GetProperty("properties").TryGetProperty("local_latency_ms", out _), t.Name));
        Assert.All(tools.Values, t => Assert.False(t.ProtocolTool.InputSchema.GetProperty("properties").TryGetProperty("stream", out _), t.Name));
        var slowed = await client.CallToolAsync("version", new Dictionary<string, object?> { ["local_latency_ms"] = 1, ["stream"] = true }, cancellationToken: ct);
        Assert.NotEqual(true, slowed.IsError);

        var planned = await client.CallToolAsync("planner",
            new Dictionary<string, object?> { ["step"] = "first", ["step_number"] = 1, ["total_steps"] = 2, ["next_step_required"] = true }, cancellationToken: ct);
        var plan = Conforming(tools["planner"].ProtocolTool, planned);
        Assert.Equal("planning", plan.GetProperty("status").GetString());
        Assert.True(Guid.TryParse(plan.GetProperty("continuation_id").GetString(), out _));
        Assert.Contains(plan.GetProperty("continuation_id").GetString()!, ((TextContentBlock)planned.Content[0]).Text, StringComparison.Ordinal); // the text stays

        var chat = Conforming(tools["chat"].ProtocolTool, await client.CallToolAsync("chat", new Dictionary<string, object?> { ["prompt"] = "c#" }, cancellationToken: ct));
        Assert.Equal("local", chat.GetProperty("provider").GetString());

        var step = Conforming(tools["debug"].ProtocolTool, await client.CallToolAsync("debug",
            new Dictionary<string, object?> { ["step"] = "look", ["step_number"] = 1, ["total_steps"] = 2, ["next_step_required"] = true, ["findings"] = "none yet" }, cancellationToken: ct));
        Assert.Equal("debug", step.GetProperty("next_call").GetProperty("tool").GetString());
        Assert.Equal("ok", Conforming(tools["listmodels"].ProtocolTool, await client.CallToolAsync("listmodels", cancellationToken: ct)).GetProperty("status").GetString());

        var refused = await client.CallToolAsync("debug", new Dictionary<string, object?> { ["step"] = "x" }, cancellationToken: ct);
        Assert.True(refused.IsError);
        Assert.Equal("INVALID_ARGUMENTS", Conforming(tools["debug"].ProtocolTool, refused).GetProperty("error_code").GetString());
    }

    private static string[] Declared(McpClientTool tool) =>
        [.. tool.ProtocolTool.OutputSchema!.Value.GetProperty("properties").EnumerateObject().Select(p => p.Name)];

    [Theory]
    [InlineData("answer")] // one JSON completion
    [InlineData("stream")] // usage in the stream's last event
    [InlineData("usage-in-choice")] // Moonshot's way: inside the last chunk's choice
    public async Task AModelsReportedUsage_IsInTheStructuredResult(string model)
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = Models.ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = model,
        });
        await using var mcp = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        await mcp.SendAsync(Request(1, "initialize", new JsonObject { ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "usage", ["version"] = "1" } }));
        await mcp.WaitForAsync(m => (int?)m["id"] == 1);
        await mcp.SendAsync(Request(2, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "count", ["model"] = model } }));

        var structured = (await mcp.WaitForAsync(m => (int?)m["id"] == 2, 30_000))["result"]!["structuredContent"]!;
        Assert.Equal("openai", (string?)structured["provider"]);
        int output = model == "answer" ? 6 : fake.StreamChunks; // what the fake reports: 12 in, and 6 or one per chunk out
        SameJson($"{{\"input_tokens\":12,\"output_tokens\":{output}}}", structured["usage"]);
    }

    [Theory]
    [InlineData("2024-11-05")]
    [InlineData("2025-03-26")]
    public async Task AnOlderRevision_SeesNoFieldItsRevisionLacks(string revision)
    {
        await using var daemon = await Daemon.StartAsync();
        await using var mcp = await ExaiWsClient.ConnectAsync(daemon.Uri, hello: false, subprotocol: "mcp");
        await mcp.SendAsync(Request(1, "initialize", new JsonObject { ["protocolVersion"] = revision, ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "old", ["version"] = "1" } }));
        Assert.Equal(revision, (string?)(await mcp.WaitForAsync(m => (int?)m["id"] == 1))["result"]!["protocolVersion"]);
        await mcp.SendAsync(Request(2, "tools/list"));
        var tools = (await mcp.WaitForAsync(m => (int?)m["id"] == 2))["result"]!["tools"]!.AsArray();
        await mcp.SendAsync(Request(3, "tools/call", new JsonObject { ["name"] = "chat", ["arguments"] = new JsonObject { ["prompt"] = "old" } }));
        var result = (await mcp.WaitForAsync(m => (int?)m["id"] == 3))["result"]!.AsObject();

        // exai-ws lists the tools as they always were: the 2024-11-05 shape exactly, plus the arguments only exai-ws uses.
        await using var exaiWs = await ExaiWsClient.ConnectAsync(daemon.Uri);
        await exaiWs.SendAsync(new JsonObject { ["op"] = "list_tools", ["request_id"] = "l" });
        var plain = (await exaiWs.OpAsync("list_tools_res"))["tools"]!.AsArray();
        foreach (var properties in plain.Select(t => t!["inputSchema"]!["properties"]!.AsObject()))
        {
            Assert.True(properties.Remove("stream") && properties.Remove("local_latency_ms"), properties.ToJsonString());
        }

        Assert.DoesNotContain("structuredContent", result.Select(p => p.Key));
        Assert.All(tools, t => Assert.False(t!.AsObject().ContainsKey("title") || t.AsObject().ContainsKey("outputSchema"), t.ToJsonString()));
        if (revision == "2024-11-05")
        {
            Assert.True(JsonNode.DeepEquals(plain, tools), "a 2024-11-05 client must see exactly the plain listing");
            Assert.All(plain, t => Assert.Equal(["name", "description", "inputSchema"], t!.AsObject().Select(p => p.Key)));
        }
        else
        {
            // 2025-03-26 defined annotations (the title among them); the rest of each tool is the plain listing.
            Assert.All(tools, t => Assert.Equal(["name", "description", "inputSchema", "annotations"], t!.AsObject().Select(p => p.Key)));
            Assert.Equal("""{"title":"Chat","readOnlyHint":true}""", tools.Single(t => (string?)t!["name"] == "chat")!["annotations"]!.ToJsonString());
            var stripped = new JsonArray([.. tools.Select(t => { var o = t!.DeepClone().AsObject(); o.Remove("annotations"); return (JsonNode)o; })]);
            Assert.True(JsonNode.DeepEquals(plain, stripped));
        }
    }

    // The SDK rebuilds objects through its own schemas, which may reorder their keys.
    private static void SameJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");

    /// <summary>The result's structuredContent, checked against the tool's outputSchema: a status, and every field
    /// declared there (but <c>omitted_characters</c>, left undeclared on purpose) with its declared type.</summary>
    private static JsonElement Conforming(Tool tool, CallToolResult result)
    {
        Assert.NotNull(result.StructuredContent);
        var content = JsonSerializer.SerializeToElement(result.StructuredContent);
        var schema = tool.OutputSchema!.Value;
        Assert.Equal(JsonValueKind.Object, content.ValueKind);
        Assert.True(content.TryGetProperty("status", out _), $"{tool.Name}: no status: {content}");
        foreach (var property in content.EnumerateObject().Where(p => p.Name != "omitted_characters"))
        {
            Assert.True(schema.GetProperty("properties").TryGetProperty(property.Name, out var declared), $"{tool.Name}: '{property.Name}' is not in its outputSchema: {schema}");
            string expected = declared.GetProperty("type").GetString()!;
            string actual = property.Value.ValueKind switch { JsonValueKind.String => "string", JsonValueKind.Object => "object", JsonValueKind.Number => "number", _ => "other" };
            Assert.True(expected == actual, $"{tool.Name}: '{property.Name}' is {actual}, its outputSchema says {expected}");
        }

        return content;
    }
}
