using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>
/// The steps of one run of a workflow, consolidated from its thread: the steps of this tool since its latest step 1,
/// minus those a later step backtracked from. Computed from the append-only thread each time, so no tool instance holds
/// any of it (the original kept <c>work_history</c> on the tool object, shared by every client).
/// </summary>
internal sealed class WorkflowRun
{
    private WorkflowRun(IReadOnlyList<WorkflowStep> steps) => Steps = steps;

    /// <summary>The steps that count, in order.</summary>
    public IReadOnlyList<WorkflowStep> Steps { get; }

    /// <summary>Every file checked, first mention first.</summary>
    public IReadOnlyList<string> FilesChecked => Distinct(s => s.FilesChecked);

    /// <summary>Every relevant file, first mention first.</summary>
    public IReadOnlyList<string> RelevantFiles => Distinct(s => s.RelevantFiles);

    /// <summary>Every relevant place in the code.</summary>
    public IReadOnlyList<string> RelevantContext => Distinct(s => s.RelevantContext);

    /// <summary>Every issue, highest severity first, duplicates (same severity and text) once.</summary>
    public IReadOnlyList<WorkflowIssue> Issues =>
        [.. Steps.SelectMany(s => s.IssuesFound).Distinct().OrderBy(i => Array.IndexOf(WorkflowFields.Severity, i.Severity))];

    /// <summary>The latest step's confidence.</summary>
    public string Confidence => Steps.Count > 0 ? Steps[^1].Confidence : "exploring";

    /// <summary>The latest hypothesis any step stated.</summary>
    public string? Hypothesis => Steps.LastOrDefault(s => s.Hypothesis is not null)?.Hypothesis;

    /// <summary>The run of <paramref name="tool"/> in <paramref name="thread"/>, with <paramref name="current"/> (not yet recorded) last.</summary>
    public static WorkflowRun Of(string tool, ConversationThread? thread, WorkflowStep current)
    {
        var steps = new List<WorkflowStep>();
        foreach (var turn in thread?.Turns ?? [])
        {
            if (turn.Tool == tool && turn.Step is { } step)
            {
                Add(steps, step);
            }
        }

        Add(steps, current);
        return new WorkflowRun(steps);
    }

    private static void Add(List<WorkflowStep> steps, WorkflowStep step)
    {
        if (step.StepNumber == 1)
        {
            steps.Clear(); // a new run of the tool on this thread
        }

        if (step.BacktrackFromStep is int from)
        {
            steps.RemoveAll(s => s.StepNumber >= from);
        }

        steps.RemoveAll(s => s.StepNumber == step.StepNumber); // a step sent again replaces the earlier one
        steps.Add(step);
    }

    private string[] Distinct(Func<WorkflowStep, IReadOnlyList<string>> of) =>
        [.. Steps.SelectMany(of).Distinct(StringComparer.Ordinal)];
}
