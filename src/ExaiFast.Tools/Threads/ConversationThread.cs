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

    /// <summary>What a list shows of it; null for a thread with no turn (never stored).</summary>
    public Core.Threads.ThreadSummary? Summary() => Turns.Count == 0 ? null : Summarize(Id, CreatedAt, Turns[0], Turns[^1], Turns.Count, Model);

    /// <summary>A summary from the turns a list needs: the first (title), the newest (tool, time) and the count.</summary>
    /// <remarks>The store stamps a thread's creation a moment after the tool stamped its first turn: the earlier of the two
    /// is shown, so that a thread is never updated before it was created.</remarks>
    public static Core.Threads.ThreadSummary Summarize(Guid id, DateTimeOffset createdAt, ThreadTurn first, ThreadTurn newest, int turns, string? model) =>
        new(id, Core.Threads.ThreadSummary.TitleOf(first.Request), newest.Tool, model ?? newest.Model, turns,
            first.At != default && first.At < createdAt ? first.At : createdAt, newest.At);
}
