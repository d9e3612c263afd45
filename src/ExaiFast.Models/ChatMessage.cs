namespace ExaiFast.Models;

/// <summary>One message of a conversation sent to a model.</summary>
/// <param name="Role">Who speaks.</param>
/// <param name="Text">What is said: a string, or a big prompt read in place where it arrived (<see cref="MessageText"/>).</param>
/// <param name="ImageUrls">Images (http(s) or <c>data:</c> URLs) for models that take them; null for none.</param>
public readonly record struct ChatMessage(ChatRole Role, MessageText Text, IReadOnlyList<string>? ImageUrls = null);
