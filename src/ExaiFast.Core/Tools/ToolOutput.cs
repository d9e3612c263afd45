namespace ExaiFast.Core.Tools;

/// <summary>What a tool returns on success (a struct: the dispatcher copies it into the stored result).</summary>
/// <param name="Text">The text output.</param>
/// <param name="Provider">The provider that answered, if a model was used.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="ContinuationId">The conversation thread to continue, if any.</param>
public readonly record struct ToolOutput(string Text, string? Provider = null, string? Model = null, string? ContinuationId = null);
