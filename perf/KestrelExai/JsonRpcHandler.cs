using System.Net.WebSockets;
using System.Text.Json;

namespace KestrelExai;

/// <summary>MCP over WebSocket (one JSON-RPC message per text frame) as a naive daemon serves it, inline.</summary>
internal static class JsonRpcHandler
{
    /// <summary>Serves one connection until the peer closes; with <paramref name="fixedAnswer"/> every <c>tools/call</c> gets <see cref="FixedAnswer.Text"/> instead of the local model's composed answer.</summary>
    public static async Task RunAsync(WebSocket socket, bool fixedAnswer, CancellationToken cancellationToken)
    {
        var loop = new MessageLoop(socket);
        while (await loop.ReceiveAsync(cancellationToken) is { } message)
        {
            using var document = JsonDocument.Parse(message);
            var root = document.RootElement;
            if (!root.TryGetProperty("id", out var id))
            {
                continue; // a notification (notifications/initialized, notifications/cancelled): nothing to answer
            }

            string? method = root.TryGetProperty("method", out var m) ? m.GetString() : null;
            var json = loop.Begin();
            json.WriteStartObject();
            json.WriteString("jsonrpc"u8, "2.0"u8);
            json.WritePropertyName("id"u8);
            id.WriteTo(json);
            switch (method)
            {
                case "initialize":
                    json.WriteStartObject("result"u8);
                    json.WriteString("protocolVersion"u8, "2025-11-25"u8);
                    json.WriteStartObject("capabilities"u8);
                    json.WriteStartObject("tools"u8);
                    json.WriteBoolean("listChanged"u8, false);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.WriteStartObject("serverInfo"u8);
                    json.WriteString("name"u8, "kestrel-jsonrpc"u8);
                    json.WriteString("version"u8, "1.0.0"u8);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    break;
                case "ping":
                    json.WriteStartObject("result"u8);
                    json.WriteEndObject();
                    break;
                case "tools/list":
                    json.WriteStartObject("result"u8);
                    json.WriteStartArray("tools"u8);
                    json.WriteStartObject();
                    json.WriteString("name"u8, "chat"u8);
                    json.WriteString("description"u8, "Echo the prompt at once (offline baseline)."u8);
                    json.WriteStartObject("inputSchema"u8);
                    json.WriteString("type"u8, "object"u8);
                    json.WriteStartObject("properties"u8);
                    json.WriteStartObject("prompt"u8);
                    json.WriteString("type"u8, "string"u8);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.WriteStartArray("required"u8);
                    json.WriteStringValue("prompt"u8);
                    json.WriteEndArray();
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.WriteEndArray();
                    json.WriteEndObject();
                    break;
                case "tools/call":
                    var parameters = root.GetProperty("params");
                    bool hasArguments = parameters.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object;
                    string? text = fixedAnswer ? null
                        : LocalAnswer.Compose(hasArguments && a.TryGetProperty("prompt", out var p) ? p.GetString() ?? string.Empty : string.Empty);
                    if (hasArguments && a.TryGetProperty("local_latency_ms", out var latency) && latency.GetInt32() > 0)
                    {
                        await Task.Delay(latency.GetInt32(), cancellationToken); // the model's time, inline like the rest
                    }

                    json.WriteStartObject("result"u8);
                    json.WriteStartArray("content"u8);
                    json.WriteStartObject();
                    json.WriteString("type"u8, "text"u8);
                    if (text is null)
                    {
                        json.WriteString("text"u8, FixedAnswer.Text);
                    }
                    else
                    {
                        json.WriteString("text"u8, text);
                    }

                    json.WriteEndObject();
                    json.WriteEndArray();
                    json.WriteBoolean("isError"u8, false);
                    json.WriteEndObject();
                    break;
                default:
                    json.WriteStartObject("error"u8);
                    json.WriteNumber("code"u8, -32601);
                    json.WriteString("message"u8, "Method not found: " + method);
                    json.WriteEndObject();
                    break;
            }

            json.WriteEndObject();
            await loop.SendAsync(cancellationToken);
        }
    }
}
