namespace ExaiFast.Tools.Threads;

/// <summary>One step of a workflow tool (thinkdeep, debug, codereview …) as the client reported it.</summary>
/// <remarks>Kept in the thread, never in the tool: two clients running the same workflow at once never see each other's
/// findings, and no lock guards a history they would share.</remarks>
public sealed record WorkflowStep
{
    /// <summary>1-based.</summary>
    public int StepNumber { get; init; }

    /// <summary>The client's current estimate of the steps needed.</summary>
    public int TotalSteps { get; init; }

    /// <summary>False on the final step, which asks the model once over everything the steps found.</summary>
    public bool NextStepRequired { get; init; }

    /// <summary>What this step found.</summary>
    public string Findings { get; init; } = string.Empty;

    /// <summary>Every file examined in this step.</summary>
    public IReadOnlyList<string> FilesChecked { get; init; } = [];

    /// <summary>Files that matter for the result (read and embedded at the final step).</summary>
    public IReadOnlyList<string> RelevantFiles { get; init; } = [];

    /// <summary>Methods, functions or places in the code that matter.</summary>
    public IReadOnlyList<string> RelevantContext { get; init; } = [];

    /// <summary>Issues found, with their severity.</summary>
    public IReadOnlyList<WorkflowIssue> IssuesFound { get; init; } = [];

    /// <summary><c>exploring</c> … <c>certain</c>.</summary>
    public string Confidence { get; init; } = "low";

    /// <summary>The current theory, if any.</summary>
    public string? Hypothesis { get; init; }

    /// <summary>The planner's branch this step belongs to, if any.</summary>
    public string? Branch { get; init; }

    /// <summary>The planner's step this one revises, if any.</summary>
    public int? Revises { get; init; }

    /// <summary>Steps from this number on are discarded from the consolidated findings (the client backtracked).</summary>
    public int? BacktrackFromStep { get; init; }
}

/// <summary>An issue a workflow step found.</summary>
/// <param name="Severity"><c>critical</c>, <c>high</c>, <c>medium</c> or <c>low</c>.</param>
/// <param name="Description">What is wrong, and where.</param>
public sealed record WorkflowIssue(string Severity, string Description);
