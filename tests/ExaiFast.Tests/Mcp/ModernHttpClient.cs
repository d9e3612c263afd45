using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// A 2026-07-28 client over Streamable HTTP, by hand: every request carries its revision and capabilities in
/// <c>_meta</c> and the headers that repeat the body (<c>MCP-Protocol-Version</c>, <c>Mcp-Method</c>, <c>Mcp-Name</c>);
/// the answer is read from a JSON body or from the last message of an event stream. <c>bearer</c>, when given, goes in
/// <c>Authorization</c> on every request.
/// </summary>
internal sealed class ModernHttpClient(Uri mcp, bool tasks = true, string? bearer = null) : IDisposable
{
    public const string Revision = "2026-07-28";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private int _id;

    /// <summary>The request's <c>_meta</c>: the revision, and the tasks extension unless the client is told not to declare it.</summary>
    public JsonObject Meta()
    {
        var capabilities = new JsonObject();
        if (tasks)
        {
            capabilities["extensions"] = new JsonObject { ["io.modelcontextprotocol/tasks"] = new JsonObject() };
        }

        return new JsonObject
        {
            ["io.modelcontextprotocol/protocolVersion"] = Revision,
            ["io.modelcontextprotocol/clientCapabilities"] = capabilities,
        };
    }

    public Task<(HttpStatusCode Status, JsonObject Body)> CallToolAsync(string tool, JsonObject arguments) =>
        SendAsync("tools/call", new JsonObject { ["name"] = tool, ["arguments"] = arguments }, name: tool);

    public Task<(HttpStatusCode Status, JsonObject Body)> TaskAsync(string method, string taskId) =>
        SendAsync(method, new JsonObject { ["taskId"] = taskId }, name: taskId);

    /// <summary>Sends <paramref name="method"/>; <paramref name="name"/> goes in <c>Mcp-Name</c> (null: none).</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(string method, JsonObject parameters, string? name = null, JsonObject? meta = null)
    {
        parameters["_meta"] = meta ?? Meta();
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = Interlocked.Increment(ref _id), ["method"] = method, ["params"] = parameters };
        using var request = new HttpRequestMessage(HttpMethod.Post, mcp)
        {
            Content = new StringContent(message.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", Revision);
        request.Headers.TryAddWithoutValidation("Mcp-Method", method);
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        if (name is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Name", name);
        }

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        string json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? body.Split('\n').Last(l => l.StartsWith("data:", StringComparison.Ordinal) && l.Contains("\"id\"", StringComparison.Ordinal))[5..]
            : body;
        return (response.StatusCode, JsonNode.Parse(json)!.AsObject());
    }

    /// <summary>Polls <c>tasks/get</c> until the task leaves <c>working</c> (bounded), and returns that answer's result.</summary>
    public async Task<JsonObject> WaitForTaskAsync(string taskId, int timeoutMs = 30_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            var (status, body) = await TaskAsync("tasks/get", taskId);
            Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
            var task = body["result"]!.AsObject();
            if ((string?)task["status"] != "working")
            {
                return task;
            }

            Assert.True(Environment.TickCount64 < deadline, $"task {taskId} still working {timeoutMs} ms later");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();
}
