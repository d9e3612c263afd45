namespace ExaiFast.Server.Mcp;

/// <summary>
/// One MCP prompt (a client's slash command, <c>/exaifast:&lt;name&gt;</c>): a tool's, or <c>continue</c>.
/// </summary>
/// <param name="Name">The prompt's name: the tool's, or <see cref="PromptCatalog.Continue"/>.</param>
/// <param name="Title">What a client shows (2025-06-18 on).</param>
/// <param name="Description">What it does: the tool's description.</param>
/// <param name="Arguments">What the user may fill in, in the order a client asks for them.</param>
/// <param name="ToolRequired">The tool's required fields: those no argument fills are left to the model.</param>
/// <param name="Workflow">Whether the tool works in steps (it takes <c>next_step_required</c>).</param>
internal sealed record McpPrompt(string Name, string Title, string Description, McpPromptArgument[] Arguments, string[] ToolRequired, bool Workflow);
