namespace ExaiFast.Core.Tools;

/// <summary>
/// What MCP clients are told about a tool besides its schema (MCP 2025-03-26 <c>ToolAnnotations</c>, and from 2025-06-18
/// the tool's <c>title</c>): hints for approval prompts and display, never a security boundary.
/// </summary>
/// <param name="Title">A human-readable name.</param>
/// <param name="ReadOnly">It changes nothing outside the daemon (it may record a conversation turn in the daemon's own store).</param>
/// <param name="OpenWorld">It reaches beyond the daemon: it calls a model.</param>
/// <param name="Idempotent">Calling it again with the same arguments has no further effect.</param>
public readonly record struct ToolAnnotations(string Title, bool ReadOnly, bool OpenWorld, bool Idempotent = false);
