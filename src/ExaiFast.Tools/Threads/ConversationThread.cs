namespace ExaiFast.Tools.Threads;

/// <summary>A conversation thread as a store returned it: a snapshot, safe to read while others append.</summary>
/// <param name="Id">The <c>continuation_id</c>.</param>
/// <param name="CreatedAt">When its first turn was recorded.</param>
/// <param name="Turns">Its turns, oldest first.</param>
public sealed record ConversationThread(Guid Id, DateTimeOffset CreatedAt, IReadOnlyList<ThreadTurn> Turns)
{
    /// <summary>The model of the newest turn a model answered: a continuation keeps it unless the caller names another.</summary>
    public string? Model
    {
        get
        {
            for (int i = Turns.Count - 1; i >= 0; i--)
            {
                if (Turns[i].Model is { } model)
                {
                    return model;
                }
            }

            return null;
        }
    }
}
