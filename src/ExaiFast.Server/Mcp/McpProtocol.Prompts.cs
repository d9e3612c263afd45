using System.Text.Json;

namespace ExaiFast.Server.Mcp;

// prompts/list and prompts/get: the requests are read here; the backend knows the tools (and, for continue, the threads)
// and answers through PromptCatalog.
internal sealed partial class McpProtocol
{
    private void ListPrompts(McpSession session, string rawId, JsonElement parameters, McpDialect dialect, IMcpReply reply)
    {
        // Every prompt comes in one page: a cursor can only be one this server never gave.
        if (parameters.TryGetProperty("cursor"u8, out var c) && c.ValueKind != JsonValueKind.Null)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"cursor\" is not a nextCursor this server gave (it lists every prompt at once); leave it out"));
            return;
        }

        _backend.ListPrompts(session, rawId, dialect, reply);
    }

    private void GetPrompt(McpSession session, string rawId, JsonElement parameters, McpDialect dialect, IMcpReply reply)
    {
        if (!parameters.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: prompts/get needs a string \"name\""));
            return;
        }

        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parameters.TryGetProperty("arguments"u8, out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Object)
            {
                reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, "Invalid params: \"arguments\" must be an object of strings"));
                return;
            }

            foreach (var argument in a.EnumerateObject())
            {
                if (argument.Value.ValueKind != JsonValueKind.String)
                {
                    reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, $"Invalid params: argument {Truncate(argument.Name)} must be a string (prompt arguments are text)"));
                    return;
                }

                arguments[argument.Name] = argument.Value.GetString()!;
            }
        }

        _backend.GetPrompt(session, rawId, new PromptAsk(name.GetString()!, arguments), dialect, reply);
    }
}
