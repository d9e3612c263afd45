namespace ExaiFast.Server.Mcp;

/// <summary>A <c>prompts/get</c>'s name and arguments (MCP gives every argument as a string).</summary>
/// <param name="Name">The prompt asked for.</param>
/// <param name="Arguments">The arguments given, by name.</param>
internal sealed record PromptAsk(string Name, IReadOnlyDictionary<string, string> Arguments);
