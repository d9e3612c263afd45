using System.Text.Json.Nodes;

namespace ExaiFast.Tests.Fuzz;

/// <summary>
/// Valid messages of each door, the material <see cref="HostileJson"/> mutates: every method or op, and a call of every
/// tool with arguments made from its own input schema, so that each tool's argument reader meets the mutants too.
/// </summary>
internal static class ValidMessages
{
    /// <summary>MCP (JSON-RPC 2.0) requests, notifications and a response; each request's id is replaced per use.</summary>
    public static List<JsonObject> Mcp(JsonArray tools)
    {
        var messages = new List<JsonObject>
        {
            Request("ping"),
            Request("tools/list", new JsonObject { ["cursor"] = "c" }),
            Request("server/discover", new JsonObject { ["_meta"] = ModernMeta() }),
            Request("tools/list", new JsonObject { ["_meta"] = ModernMeta() }),
            Request("ping", new JsonObject { ["_meta"] = ModernMeta() }),
            Initialize(),
            new() { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" },
            new() { ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled", ["params"] = new JsonObject { ["requestId"] = 1, ["reason"] = "fuzz" } },
            new() { ["jsonrpc"] = "2.0", ["id"] = 1, ["result"] = new JsonObject() },
            new() { ["jsonrpc"] = "2.0", ["id"] = 1, ["error"] = new JsonObject { ["code"] = -32601, ["message"] = "no" } },
        };

        foreach (var tool in tools)
        {
            messages.Add(Request("tools/call", new JsonObject
            {
                ["name"] = (string)tool!["name"]!,
                ["arguments"] = ArgumentsFor(tool["inputSchema"]!.AsObject()),
                ["_meta"] = new JsonObject { ["progressToken"] = "progress" },
            }));
        }

        // A 2026-07-28 call too: the mutants then also meet the per-request _meta checks.
        var first = tools[0]!;
        var modernMeta = ModernMeta();
        modernMeta["progressToken"] = "progress";
        messages.Add(Request("tools/call", new JsonObject
        {
            ["name"] = (string)first["name"]!,
            ["arguments"] = ArgumentsFor(first["inputSchema"]!.AsObject()),
            ["_meta"] = modernMeta,
        }));

        return messages;
    }

    /// <summary>The per-request <c>_meta</c> of an MCP 2026-07-28 request.</summary>
    public static JsonObject ModernMeta() => new()
    {
        ["io.modelcontextprotocol/protocolVersion"] = "2026-07-28",
        ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject(),
        ["io.modelcontextprotocol/clientInfo"] = new JsonObject { ["name"] = "fuzz", ["version"] = "1" },
    };

    /// <summary>An MCP <c>initialize</c> request.</summary>
    public static JsonObject Initialize() => Request("initialize", new JsonObject
    {
        ["protocolVersion"] = "2025-11-25",
        ["capabilities"] = new JsonObject { ["roots"] = new JsonObject { ["listChanged"] = true } },
        ["clientInfo"] = new JsonObject { ["name"] = "fuzz", ["version"] = "1" },
    });

    /// <summary>exai-ws frames after the hello; each request_id is replaced per use.</summary>
    public static List<JsonObject> ExaiWs(JsonArray tools)
    {
        var frames = new List<JsonObject>
        {
            new() { ["op"] = "ping", ["request_id"] = "r" },
            new() { ["op"] = "list_tools", ["request_id"] = "r" },
            new() { ["op"] = "health", ["request_id"] = "r" },
            new() { ["op"] = "cancel", ["request_id"] = "r" },
            new() { ["op"] = "rotate_token", ["request_id"] = "r", ["old"] = "not-the-token", ["new"] = "another" },
            new() { ["op"] = "hello", ["token"] = "not-the-token", ["session_id"] = "fuzz-session" },
            new() { ["op"] = "ping", ["id"] = 7 },
        };

        foreach (var tool in tools)
        {
            frames.Add(new JsonObject
            {
                ["op"] = "call_tool",
                ["request_id"] = "r",
                ["name"] = (string)tool!["name"]!,
                ["arguments"] = ArgumentsFor(tool["inputSchema"]!.AsObject()),
            });
        }

        return frames;
    }

    /// <summary>A valid exai-ws hello.</summary>
    public static JsonObject Hello(string token) => new() { ["op"] = "hello", ["token"] = token, ["session_id"] = "fuzz-hello" };

    /// <summary>The arguments a schema asks for, each at the low end of its range (a latency of 0, the first enum value).</summary>
    public static JsonObject ArgumentsFor(JsonObject schema)
    {
        var arguments = new JsonObject();
        if (schema["properties"] is not JsonObject properties)
        {
            return arguments;
        }

        var required = (schema["required"] as JsonArray)?.Select(r => (string?)r).ToHashSet() ?? [];
        foreach (var (name, property) in properties)
        {
            if (property is JsonObject p && ValueFor(p, required.Contains(name)) is { } value)
            {
                arguments[name] = value;
            }
        }

        return arguments;
    }

    private static JsonNode? ValueFor(JsonObject property, bool required)
    {
        if (property["enum"] is JsonArray choices)
        {
            return choices[0]?.DeepClone();
        }

        return (string?)property["type"] switch
        {
            "string" when (string?)property["format"] == "uuid" => required ? Guid.NewGuid().ToString() : null, // a thread nobody started
            "string" => "fuzz",
            "integer" or "number" => property["minimum"]?.DeepClone() ?? 1,
            "boolean" => false,
            "array" when property["items"] is JsonObject items && (string?)items["type"] == "object" => new JsonArray(ArgumentsFor(items)),
            "array" => new JsonArray("fuzz"),
            "object" => ArgumentsFor(property),
            _ => property["$ref"] is not null ? new JsonObject { ["street"] = "s", ["city"] = "c" } : null,
        };
    }

    private static JsonObject Request(string method, JsonObject? parameters = null)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = parameters;
        }

        return request;
    }
}
