using System.Text.Json;

namespace ExaiFast.Core.Tools;

/// <summary>A tool the daemon offers. Stateless: everything about one call arrives in its context.</summary>
/// <remarks>One instance serves every call concurrently; per-call state lives in <see cref="ToolContext"/> and the
/// conversation store, never in fields: a field would mix one call's history into every other call's.</remarks>
public interface ITool
{
    /// <summary>The tool's name, as in <c>tools/list</c>.</summary>
    string Name { get; }

    /// <summary>One paragraph for the client's model.</summary>
    string Description { get; }

    /// <summary>The JSON Schema of the arguments (UTF-8 JSON object), as MCP clients are shown it.</summary>
    ReadOnlyMemory<byte> InputSchema { get; }

    /// <summary>The schema exai-ws clients are shown: <see cref="InputSchema"/> plus what only exai-ws uses (by default, the same).</summary>
    ReadOnlyMemory<byte> ExaiWsInputSchema => InputSchema;

    /// <summary>What the tool's results carry besides their status, as <c>outputSchema</c> declares it; by default everything.</summary>
    ToolResultFields ResultFields => ToolResultFields.Thread | ToolResultFields.Model | ToolResultFields.NextCall;

    /// <summary>Title and behaviour hints for MCP clients; by default MCP's own defaults (may change things, open world).</summary>
    ToolAnnotations Annotations => new(Name, ReadOnly: false, OpenWorld: true);

    /// <summary>When an MCP client that declared the tasks extension gets a task handle instead of the result; by default
    /// when the call outlasts the daemon's window, which is what a model's answer needs.</summary>
    TaskSupport Tasks => TaskSupport.WhenLong;

    /// <summary>Whether identical concurrent calls may share one execution (single-flight).</summary>
    bool Coalescable { get; }

    /// <summary>Checks the arguments and picks the lane (provider) the call runs in. Cheap: runs on the reader.</summary>
    /// <returns>The lane name, or an INVALID_ARGUMENTS message naming the field.</returns>
    ToolValidation Validate(JsonElement arguments);

    /// <summary>Runs the call. Honour <paramref name="cancellationToken"/>: it fires on timeout, cancel, disconnect and shutdown.</summary>
    ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken);
}
