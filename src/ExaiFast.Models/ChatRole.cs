namespace ExaiFast.Models;

/// <summary>Who speaks in a <see cref="ChatMessage"/>.</summary>
public enum ChatRole
{
    /// <summary>Instructions to the model.</summary>
    System,

    /// <summary>The person asking (or the tool on their behalf).</summary>
    User,

    /// <summary>The model's earlier answers (conversation history).</summary>
    Assistant,
}
