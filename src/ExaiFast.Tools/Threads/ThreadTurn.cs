namespace ExaiFast.Tools.Threads;

/// <summary>
/// One call on a conversation thread: what was asked, what was answered, by which tool and model. Immutable; a thread
/// only ever gains turns, so an append is one atomic step in every store (two calls on one thread at once never lose
/// a turn, and no reader sees half of an exchange).
/// </summary>
/// <remarks>The original kept a user turn and an assistant turn apart; one record per call is the better cut here: a call
/// whose model failed records nothing, and a concurrent call cannot land between a question and its answer.</remarks>
public sealed record ThreadTurn
{
    /// <summary>The tool that made the call (<c>chat</c>, <c>debug</c> …).</summary>
    public required string Tool { get; init; }

    /// <summary>What the caller said: a chat prompt, or a workflow step's description.</summary>
    public required string Request { get; init; }

    /// <summary>What the model answered; empty for a workflow step that made no model call.</summary>
    public string Answer { get; init; } = string.Empty;

    /// <summary>The provider that answered, if a model did.</summary>
    public string? Provider { get; init; }

    /// <summary>The model that answered, if one did; a continuation keeps it.</summary>
    public string? Model { get; init; }

    /// <summary>Files the caller named on this turn (paths as given).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Input tokens the model reported (0 without a model call).</summary>
    public long PromptTokens { get; init; }

    /// <summary>Output tokens the model reported.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>When the turn was recorded (UTC).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The workflow step this turn recorded, for workflow tools; null for simple tools.</summary>
    public WorkflowStep? Step { get; init; }
}
