using System.Diagnostics;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>The modern era (2026-07-28): per-request <c>_meta</c>, <c>server/discover</c>, and Streamable HTTP's header checks.</summary>
internal sealed partial class McpProtocol
{
    private const string DiscoverNeedsMeta = "Invalid params: server/discover is a 2026-07-28 request: its _meta names \"io.modelcontextprotocol/protocolVersion\" and \"io.modelcontextprotocol/clientCapabilities\"";

    private static readonly string LegacyList = string.Join(", ", McpMessages.ProtocolVersions);

    // A modern request (spec 2026-07-28 basic/index.mdx#meta): checked on what it carries alone, never on what an
    // earlier request of the connection said (a legacy initialize on the same stdio process changes nothing here).
    // Its refusals ask Streamable HTTP for 400 (bad _meta, version) or 404 (a method this revision lacks).
    private void OnModernRequest(McpSession session, string rawId, string method, JsonElement parameters, McpRequestMeta meta, IMcpReply reply, ref ArgumentsLease lease, ActivityContext transportTrace)
    {
        if (meta.ProtocolVersion is not { } version)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams,
                "Invalid params: a 2026-07-28 request names its revision in _meta[\"io.modelcontextprotocol/protocolVersion\"] (a string), beside _meta[\"io.modelcontextprotocol/clientCapabilities\"]"), 400);
            return;
        }

        if (!McpRevisions.IsModern(version))
        {
            reply.Respond(McpMessages.UnsupportedVersion(rawId, version, McpRevisions.IsLegacy(version)
                ? $"Unsupported protocol version: {version} is chosen with initialize, not per request; per request this server serves {McpRevisions.Modern}"
                : $"Unsupported protocol version: {Truncate(version)}; per request this server serves {McpRevisions.Modern} (with initialize: {LegacyList})"), 400);
            return;
        }

        if (!meta.ClientCapabilitiesAreObject)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams,
                "Invalid params: a 2026-07-28 request declares its client's capabilities in _meta[\"io.modelcontextprotocol/clientCapabilities\"], an object ({} for none)"), 400);
            return;
        }

        switch (method)
        {
            case "server/discover":
                reply.Respond(McpMessages.Discovered(rawId, ServerInfo.Version, tasks: _backend.Tasks is { Available: true }));
                break;
            case "tools/list":
            case "tools/call":
            case "resources/list":
            case "resources/read":
            case "resources/templates/list":
            case "prompts/list":
            case "prompts/get":
                OnCommonRequest(session, rawId, method, parameters, McpDialect.Modern with { AcceptsTask = meta.DeclaresTasks }, reply, ref lease, transportTrace);
                break;
            case "tasks/get":
            case "tasks/update":
            case "tasks/cancel":
                if (_backend.Tasks is { Available: true } tasks)
                {
                    OnTaskRequest(tasks, session, rawId, method, parameters, meta, reply);
                    break;
                }

                goto default; // a door that makes no tasks has none to tell of

            default:
                // initialize, ping, logging/setLevel and resources/(un)subscribe are gone from 2026-07-28 (changelog.mdx);
                // subscriptions/listen is not served: none of this server's lists ever changes.
                reply.Respond(McpMessages.Error(rawId, McpMessages.MethodNotFound, method is "initialize" or "ping"
                    ? $"Method not found: {method} is not part of {McpRevisions.Modern}, whose requests each name their revision in _meta (server/discover tells what this server serves)"
                    : $"Method not found: {Truncate(method)}"), 404);
                break;
        }
    }

    // The tasks extension's requests (ext-tasks specification/draft/tasks.md): each needs the extension declared in its
    // own _meta; an unknown, malformed or expired id is -32602 ("Error Handling"). tasks/result and tasks/list, from the
    // 2025-11-25 experimental tasks, are not part of it: they fall to -32601 with any other unknown method.
    private void OnTaskRequest(McpTasks tasks, McpSession session, string rawId, string method, JsonElement parameters, McpRequestMeta meta, IMcpReply reply)
    {
        if (!meta.DeclaresTasks)
        {
            reply.Respond(McpMessages.TasksNotDeclared(rawId, method), 400);
            return;
        }

        if (!parameters.TryGetProperty("taskId"u8, out var id) || id.ValueKind != JsonValueKind.String)
        {
            reply.Respond(McpMessages.Error(rawId, McpMessages.InvalidParams, $"Invalid params: {method} needs a string \"taskId\""));
            return;
        }

        _ = AnswerTaskAsync(tasks, rawId, method, id.GetString()!, session.Principal, reply);
    }

    // A task on another daemon is looked up in Redis: the reader goes on meanwhile, and the reply takes the answer when it comes.
    // Another owner's task is answered as one that does not exist (ext-tasks "Security Considerations": tasks are bound
    // to their requestor's authorization context).
    private async Task AnswerTaskAsync(McpTasks tasks, string rawId, string method, string taskId, string? owner, IMcpReply reply)
    {
        try
        {
            switch (method)
            {
                case "tasks/get":
                    reply.Respond(await tasks.GetAsync(taskId, owner, CancellationToken.None).ConfigureAwait(false) is { } state
                        ? McpMessages.TaskGot(rawId, state, tasks)
                        : TaskNotFound(tasks, rawId, taskId, "retrieve"));
                    break;
                case "tasks/cancel":
                    // Cooperative: the call stops as soon as it notices (its model request is aborted); a task that
                    // ended meanwhile stays as it ended, and tasks/get says which.
                    reply.Respond(await tasks.CancelAsync(taskId, owner, CancellationToken.None).ConfigureAwait(false)
                        ? McpMessages.Done(rawId)
                        : TaskNotFound(tasks, rawId, taskId, "cancel"));
                    break;
                default:
                    // tasks/update answers input a task asked for; these tasks never ask (no input_required).
                    reply.Respond(await tasks.GetAsync(taskId, owner, CancellationToken.None).ConfigureAwait(false) is not null
                        ? McpMessages.Done(rawId)
                        : TaskNotFound(tasks, rawId, taskId, "update"));
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Redis failed mid-lookup: said as the store's failure, never as the task's absence.
            reply.Respond(McpMessages.Error(rawId, McpMessages.InternalError, $"Internal error: the task store could not be read ({ex.GetType().Name})"));
        }
    }

    private static PooledBuffer TaskNotFound(McpTasks tasks, string rawId, string taskId, string verb) =>
        McpMessages.Error(rawId, McpMessages.InvalidParams, tasks.HasExpired(taskId)
            ? $"Failed to {verb} task: Task has expired"
            : $"Failed to {verb} task: Task not found");

    /// <summary>
    /// Checks a Streamable HTTP POST's MCP headers against its body (spec 2026-07-28 <c>streamable-http.mdx</c>,
    /// #protocol-version-header and #server-validation), in the C# SDK's order: a version header naming no revision
    /// served (-32022); the version header against <c>_meta</c> (-32020, or -32602 for a request without the
    /// <c>_meta</c> version); then <c>Mcp-Method</c> and <c>Mcp-Name</c> (-32020). Legacy POSTs (no header, or a legacy
    /// one, and no modern <c>_meta</c>) pass as they always did.
    /// </summary>
    /// <returns>True with the refusal to send with status 400.</returns>
    private static bool TryRefuseEnvelope(McpHttpEnvelope envelope, string? rawId, bool isRequest, string method, JsonElement parameters, McpRequestMeta meta, out PooledBuffer refusal)
    {
        string? header = envelope.Version;
        if (header is not null && !McpRevisions.IsLegacy(header) && !McpRevisions.IsModern(header))
        {
            refusal = McpMessages.UnsupportedVersion(rawId, header,
                $"Unsupported protocol version: MCP-Protocol-Version {Truncate(header)} is no revision this server serves; per request: {McpRevisions.Modern}, with initialize: {LegacyList}");
            return true;
        }

        string? bodyVersion = meta.ProtocolVersion;
        if (envelope.IsModern || McpRevisions.IsBeyondLegacy(bodyVersion))
        {
            if (header is null)
            {
                refusal = Mismatch(rawId, $"Header mismatch: a request naming revision {Truncate(bodyVersion!)} in _meta sends it in the MCP-Protocol-Version header too");
                return true;
            }

            if (bodyVersion is null)
            {
                if (isRequest)
                {
                    refusal = McpMessages.Error(rawId, McpMessages.InvalidParams,
                        $"Invalid params: a {header} request names its revision in _meta[\"io.modelcontextprotocol/protocolVersion\"] too");
                    return true;
                }
            }
            else if (!string.Equals(header, bodyVersion, StringComparison.Ordinal))
            {
                refusal = Mismatch(rawId, $"Header mismatch: MCP-Protocol-Version header value '{Truncate(header)}' does not match body _meta value '{Truncate(bodyVersion)}'");
                return true;
            }
        }

        if (envelope.IsModern && RefuseRouting(envelope, rawId, isRequest, method, parameters) is { } message)
        {
            refusal = Mismatch(rawId, message);
            return true;
        }

        refusal = default;
        return false;
    }

    // Mcp-Method always (a notification's only when sent: the revision defines no header rules for those), and Mcp-Name
    // for the methods routed by a name (tools/call, prompts/get: params.name; resources/read: params.uri; a task's
    // requests: params.taskId, so that a load balancer can route them to the daemon running the task).
    private static string? RefuseRouting(McpHttpEnvelope envelope, string? rawId, bool isRequest, string method, JsonElement parameters)
    {
        if (envelope.Method is not { } sentMethod)
        {
            return isRequest ? "Header mismatch: missing required Mcp-Method header" : null;
        }

        string headerMethod = McpHttpEnvelope.TrimValue(sentMethod);
        if (!string.Equals(headerMethod, method, StringComparison.Ordinal))
        {
            return $"Header mismatch: Mcp-Method header value '{Truncate(headerMethod)}' does not match body value '{Truncate(method)}'";
        }

        ReadOnlySpan<byte> routing = method switch
        {
            "tools/call" or "prompts/get" => "name"u8,
            "resources/read" => "uri"u8,
            "tasks/get" or "tasks/update" or "tasks/cancel" => "taskId"u8, // ext-tasks "Streamable HTTP: Routing Headers"
            _ => default,
        };
        if (routing.IsEmpty || !isRequest)
        {
            return null;
        }

        if (envelope.Name is not { } sentName)
        {
            return "Header mismatch: missing required Mcp-Name header";
        }

        string headerName = McpHttpEnvelope.TrimValue(sentName);
        if (!McpHttpEnvelope.IsValidValue(headerName))
        {
            return "Header mismatch: Mcp-Name header contains characters a header cannot carry; send a non-ASCII name as =?base64?<base64 of its UTF-8>?=";
        }

        if (McpHttpEnvelope.DecodeValue(headerName) is not { } decoded)
        {
            return "Header mismatch: Mcp-Name header's =?base64?…?= value is not base64 of UTF-8 text";
        }

        string? body = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(routing, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
        return string.Equals(decoded, body, StringComparison.Ordinal)
            ? null
            : $"Header mismatch: Mcp-Name header value '{Truncate(headerName)}' does not match body value '{Truncate(body ?? "")}'";
    }

    private static PooledBuffer Mismatch(string? rawId, string message) => McpMessages.Error(rawId, McpMessages.HeaderMismatch, message);
}
