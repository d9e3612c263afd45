using System.Net.WebSockets;
using System.Text.Json;

namespace KestrelExai;

/// <summary>exai-ws as a naive daemon serves it: parse each frame with <see cref="JsonDocument"/> and answer inline.</summary>
internal static class ExaiHandler
{
    /// <summary>Serves one connection until the peer closes; with <paramref name="fixedAnswer"/> every call gets <see cref="FixedAnswer.Text"/> instead of the local model's composed answer.</summary>
    public static async Task RunAsync(WebSocket socket, bool fixedAnswer, CancellationToken cancellationToken)
    {
        var loop = new MessageLoop(socket);
        string sessionId = Guid.NewGuid().ToString("N");
        while (await loop.ReceiveAsync(cancellationToken) is { } message)
        {
            using var document = JsonDocument.Parse(message);
            var root = document.RootElement;
            string? op = root.TryGetProperty("op", out var o) ? o.GetString() : null;
            string? requestId = root.TryGetProperty("request_id", out var r) ? r.GetString() : null;
            var json = loop.Begin();
            switch (op)
            {
                case "hello":
                    json.WriteStartObject();
                    json.WriteString("op"u8, "hello_ack"u8);
                    json.WriteBoolean("ok"u8, true);
                    json.WriteString("session_id"u8, root.TryGetProperty("session_id", out var s) ? s.GetString() : sessionId);
                    json.WriteStartObject("server"u8);
                    json.WriteString("name"u8, "kestrel-exai"u8);
                    json.WriteString("version"u8, "1.0.0"u8);
                    json.WriteEndObject();
                    json.WriteStartObject("limits"u8);
                    json.WriteNumber("max_bytes"u8, 32 * 1024 * 1024);
                    json.WriteNumber("session_max_inflight"u8, 8);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    await loop.SendAsync(cancellationToken);
                    break;
                case "ping":
                    json.WriteStartObject();
                    json.WriteString("op"u8, "pong"u8);
                    if (requestId is not null)
                    {
                        json.WriteString("request_id"u8, requestId);
                    }

                    json.WriteNumber("t"u8, Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3));
                    json.WriteEndObject();
                    await loop.SendAsync(cancellationToken);
                    break;
                case "call_tool":
                    requestId ??= Guid.NewGuid().ToString();
                    string name = root.GetProperty("name").GetString()!;
                    json.WriteStartObject();
                    json.WriteString("op"u8, "call_tool_ack"u8);
                    json.WriteString("request_id"u8, requestId);
                    json.WriteBoolean("accepted"u8, true);
                    json.WriteString("name"u8, name);
                    json.WriteNumber("timeout"u8, 180);
                    json.WriteEndObject();
                    await loop.SendAsync(cancellationToken);

                    var arguments = root.GetProperty("arguments");
                    string? text = fixedAnswer ? null : LocalAnswer.Compose(arguments.GetProperty("prompt").GetString() ?? string.Empty);
                    if (arguments.TryGetProperty("local_latency_ms", out var latency) && latency.GetInt32() > 0)
                    {
                        await Task.Delay(latency.GetInt32(), cancellationToken); // the model's time, inline like the rest
                    }

                    json = loop.Begin();
                    json.WriteStartObject();
                    json.WriteString("op"u8, "call_tool_res"u8);
                    json.WriteString("request_id"u8, requestId);
                    json.WriteBoolean("ok"u8, true);
                    json.WriteStartArray("outputs"u8);
                    json.WriteStartObject();
                    json.WriteString("type"u8, "text"u8);
                    WriteText(json, text);
                    json.WriteEndObject();
                    json.WriteEndArray();
                    WriteText(json, text);
                    json.WriteStartObject("metrics"u8);
                    json.WriteNumber("queue_ms"u8, 0);
                    json.WriteNumber("run_ms"u8, 0);
                    json.WriteString("provider"u8, "local"u8);
                    json.WriteString("model"u8, "local-echo"u8);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    await loop.SendAsync(cancellationToken);
                    break;
                default:
                    json.WriteStartObject();
                    json.WriteString("op"u8, "error"u8);
                    if (requestId is not null)
                    {
                        json.WriteString("request_id"u8, requestId);
                    }

                    json.WriteStartObject("error"u8);
                    json.WriteString("code"u8, "INVALID_REQUEST"u8);
                    json.WriteString("message"u8, "unknown op: " + op);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    await loop.SendAsync(cancellationToken);
                    break;
            }
        }
    }

    /// <summary>The <c>text</c> property: the composed answer, or the fixed one when <paramref name="composed"/> is null.</summary>
    private static void WriteText(Utf8JsonWriter json, string? composed)
    {
        if (composed is null)
        {
            json.WriteString("text"u8, FixedAnswer.Text);
        }
        else
        {
            json.WriteString("text"u8, composed);
        }
    }
}
