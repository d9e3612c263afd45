using System.Globalization;
using System.Text.Json;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>The tasks extension's messages (ext-tasks <c>schema/draft/schema.ts</c>): all of them modern results.</summary>
internal static partial class McpMessages
{
    /// <summary>The client did not declare a capability the request needs (2026-07-28; -32021, Streamable HTTP status 400).</summary>
    public const int MissingRequiredClientCapability = -32021;

    /// <summary>
    /// A <c>tools/call</c> answered with a task (<c>CreateTaskResult</c>: the task's fields, flat, <c>resultType</c>
    /// <c>"task"</c>): the client collects the result with <c>tasks/get</c>.
    /// </summary>
    public static PooledBuffer TaskCreated(string rawId, McpTaskState task, McpTasks tasks) =>
        Result(rawId, (task, tasks), static (json, in s) =>
        {
            json.WriteString("resultType"u8, "task"u8);
            WriteTask(json, s.task, s.tasks);
            WriteServerMeta(json, McpDialect.Modern);
        });

    /// <summary>
    /// The answer to <c>tasks/get</c> (<c>GetTaskResult</c>: a <c>DetailedTask</c>, <c>resultType</c> <c>"complete"</c>):
    /// a completed task carries the tool's result, exactly as the call would have been answered.
    /// </summary>
    public static PooledBuffer TaskGot(string rawId, McpTaskState task, McpTasks tasks) =>
        Result(rawId, (task, tasks), static (json, in s) =>
        {
            WriteResultType(json, McpDialect.Modern);
            WriteTask(json, s.task, s.tasks);
            if (s.task.Result is { } result)
            {
                json.WriteStartObject("result"u8);
                WriteToolResult(json, result, McpDialect.Modern, cut: null);
                json.WriteEndObject();
            }

            WriteServerMeta(json, McpDialect.Modern);
        });

    /// <summary>
    /// The -32021 error (schema <c>MissingRequiredClientCapabilityError</c>): <c>data.requiredCapabilities</c> is a
    /// client-capabilities object naming the tasks extension.
    /// </summary>
    public static PooledBuffer TasksNotDeclared(string rawId, string method) =>
        TasksMissing(rawId, $"Missing required client capability: {method} needs the io.modelcontextprotocol/tasks extension in _meta[\"io.modelcontextprotocol/clientCapabilities\"].extensions");

    /// <summary>The -32021 error for a <c>tools/call</c> of a tool that answers only with a task (<see cref="Core.Tools.TaskSupport.Required"/>).</summary>
    public static PooledBuffer ToolNeedsTasks(string rawId, string tool) =>
        TasksMissing(rawId, $"Missing required client capability: the tool {tool} answers only with a task: declare the io.modelcontextprotocol/tasks extension in _meta[\"io.modelcontextprotocol/clientCapabilities\"].extensions (MCP 2026-07-28)");

    private static PooledBuffer TasksMissing(string rawId, string message) =>
        Error(rawId, MissingRequiredClientCapability, message, false, static (json, in _) =>
        {
            json.WriteStartObject("requiredCapabilities"u8);
            json.WriteStartObject("extensions"u8);
            json.WriteStartObject(McpRequestMeta.TasksExtension);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        });

    /// <summary>A modern result with nothing to say but that it is done (<c>tasks/update</c>, <c>tasks/cancel</c>).</summary>
    public static PooledBuffer Done(string rawId) =>
        Result(rawId, false, static (json, in _) =>
        {
            WriteResultType(json, McpDialect.Modern);
            WriteServerMeta(json, McpDialect.Modern);
        });

    private static void WriteTask(Utf8JsonWriter json, in McpTaskState task, McpTasks tasks)
    {
        json.WriteString("taskId"u8, task.TaskId);
        json.WriteString("status"u8, task.Status switch
        {
            McpTaskStatus.Working => "working"u8,
            McpTaskStatus.Completed => "completed"u8,
            _ => "cancelled"u8,
        });
        json.WriteString("createdAt"u8, Timestamp(task.CreatedAt));
        json.WriteString("lastUpdatedAt"u8, Timestamp(task.LastUpdatedAt));
        json.WriteNumber("ttlMs"u8, (long)tasks.Ttl.TotalMilliseconds);
        if (task.Status == McpTaskStatus.Working)
        {
            json.WriteNumber("pollIntervalMs"u8, (long)tasks.PollInterval.TotalMilliseconds);
        }
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
