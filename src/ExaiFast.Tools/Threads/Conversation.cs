using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Threads;

/// <summary>What every tool that keeps a conversation does with its thread: find it, check it has room, record a turn.</summary>
internal static class Conversation
{
    /// <summary>The argument that names a thread.</summary>
    public const string IdField = "continuation_id";

    /// <summary>The declaration of <see cref="IdField"/>.</summary>
    /// <remarks>Undescribed: six tools list it, and every answer that opens a thread says what to send back (next_call).</remarks>
    public static ToolField Field() => Schema.Field.Uuid(IdField, "");

    /// <summary>The thread id the call names (validation checked it is a UUID), or null.</summary>
    public static Guid? IdOf(ToolArguments arguments) =>
        arguments.Text(IdField) is { } text && Guid.TryParse(text, out var id) ? id : null;

    /// <summary>The thread <paramref name="id"/>, with room for one more turn; a clear INVALID_ARGUMENTS otherwise.</summary>
    public static async ValueTask<ConversationThread> LoadAsync(IThreadStore store, Guid id, CancellationToken cancellationToken)
    {
        var thread = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (thread is null)
        {
            throw NotFound(store, id);
        }

        if (thread.Turns.Count >= store.Options.MaxTurns)
        {
            throw Full(store, id);
        }

        return thread;
    }

    /// <summary>
    /// Records <paramref name="turn"/>; returns the turns left on the thread, or null when it could not be recorded
    /// (another call filled the thread, or it expired, meanwhile): the answer is still given, without a thread to continue.
    /// </summary>
    /// <remarks>With <paramref name="answered"/> (a model has answered: the turn is the answer's record, not the work
    /// itself), a store that cannot be reached does not cost the caller the answer: it comes back with no thread to go
    /// on. Without it (a workflow step, a plan step: the record is the work), the call fails with STORE_UNAVAILABLE and
    /// the client sends the step again.</remarks>
    public static async ValueTask<int?> RecordAsync(IThreadStore store, Guid id, ThreadTurn turn, bool create, CancellationToken cancellationToken, bool answered = false)
    {
        try
        {
            var (status, turns) = await store.AppendAsync(id, turn, create, cancellationToken).ConfigureAwait(false);
            return status == ThreadAppendStatus.Appended ? store.Options.MaxTurns - turns : null;
        }
        catch (StoreUnavailableException) when (answered)
        {
            return null;
        }
    }

    /// <summary>The turn of a call a model answered: what was asked, the answer (both clipped), who gave it, and the files sent.</summary>
    public static ThreadTurn AnsweredTurn(string tool, string request, ModelAnswer answer, IReadOnlyList<string> files, DateTimeOffset at, WorkflowStep? step = null) => new()
    {
        Tool = tool,
        Request = request,
        Answer = Clip(answer.Text),
        Provider = answer.Response.Provider,
        Model = answer.Response.Model,
        Files = files,
        PromptTokens = answer.Response.Usage?.PromptTokens ?? 0,
        CompletionTokens = answer.Response.Usage?.CompletionTokens ?? 0,
        At = at,
        Step = step,
    };

    /// <summary>Most characters of a request or an answer a turn keeps (about 64k tokens): a 30 MiB prompt is answered,
    /// but a thread does not keep 60 MiB of it for three hours, nor could a later turn send it again.</summary>
    public const int MaxTurnChars = 1 << 18;

    /// <summary><paramref name="text"/>, cut to <see cref="MaxTurnChars"/> with a note saying how much was left out.</summary>
    public static string Clip(string text) => Clip(new Models.MessageText(text));

    /// <summary><paramref name="text"/> (a prompt perhaps read in place), cut to <see cref="MaxTurnChars"/> with a note
    /// saying how much was left out: only what is kept is made a string.</summary>
    public static string Clip(Models.MessageText text)
    {
        if (text.Length <= MaxTurnChars)
        {
            return text.ToString();
        }

        string kept = text.ToString(MaxTurnChars); // never half a pair
        return string.Concat(kept, $"\n[… {text.Length - kept.Length:N0} more characters were sent on this turn and are not kept in the thread]");
    }

    /// <summary>The error for a thread that is not there.</summary>
    public static ToolArgumentException NotFound(IThreadStore store, Guid id) => new(
        $"'{IdField}': no conversation thread {id}: it never existed here, or it expired {store.Options.Ttl.TotalHours:0.#} h after its last turn (CONVERSATION_TIMEOUT_HOURS); leave continuation_id out to start a new one");

    /// <summary>The error for a thread with no room left.</summary>
    public static ToolArgumentException Full(IThreadStore store, Guid id) => new(
        $"'{IdField}': conversation thread {id} holds its {store.Options.MaxTurns} turns (MAX_CONVERSATION_TURNS); leave continuation_id out to start a new one");
}
