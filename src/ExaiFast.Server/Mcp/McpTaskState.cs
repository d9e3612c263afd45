using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>What <c>tasks/get</c> answers of one task.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastUpdatedAt">When its status last changed (for an ended task: about when it ended).</param>
/// <param name="Result">The tool's result, once <see cref="McpTaskStatus.Completed"/>.</param>
internal readonly record struct McpTaskState(string TaskId, McpTaskStatus Status, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt, CallResult? Result);
