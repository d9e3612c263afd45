namespace ExaiFast.Server.Mcp;

/// <summary>A prompt argument: a string the user gives, passed to the tool's field of the same name.</summary>
/// <param name="Name">The argument's name, the tool field's.</param>
/// <param name="Description">What to give.</param>
/// <param name="Required">Whether the prompt cannot be used without it.</param>
/// <param name="List">Whether the tool field is a list of strings: the argument's comma-separated items fill it.</param>
internal sealed record McpPromptArgument(string Name, string Description, bool Required, bool List = false);
