namespace ExaiFast.Models;

/// <summary>One message of a conversation sent to a model.</summary>
/// <param name="Role">Who speaks.</param>
/// <param name="Text">What is said.</param>
/// <param name="ImageUrls">Images (http(s) or <c>data:</c> URLs) for models that take them; null for none.</param>
public readonly record struct ChatMessage(ChatRole Role, string Text, IReadOnlyList<string>? ImageUrls = null);
