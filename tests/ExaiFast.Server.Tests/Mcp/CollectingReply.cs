using System.Text.Json.Nodes;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>Collects what a session answers, parsed.</summary>
internal sealed class CollectingReply : IMcpReply
{
    private readonly List<JsonObject> _messages = [];

    public List<JsonObject> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public void Respond(PooledBuffer response) => Add(response);

    public bool TryNotify(PooledBuffer notification)
    {
        Add(notification);
        return true;
    }

    public void Cancelled()
    {
    }

    /// <summary>The response with this id (raw JSON: <c>"\"1\""</c>, <c>"null"</c>), waited for.</summary>
    public Task<JsonObject> ResponseAsync(string rawId) =>
        WaitForAsync(m => m["method"] is null && (m["id"]?.ToJsonString() ?? "null") == rawId, $"a response with id {rawId}");

    /// <summary>The first message that matches, waited for.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (Messages.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {what}; got: {string.Join("\n", Messages.Select(m => m.ToJsonString()))}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private void Add(PooledBuffer buffer)
    {
        var message = JsonNode.Parse(buffer.Span)!.AsObject();
        buffer.Return();
        lock (_messages)
        {
            _messages.Add(message);
        }
    }
}
