using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>The rules across a step's fields, and the step as the thread records it.</summary>
internal static class StepRules
{
    /// <summary>What is wrong across fields (each field alone was checked by its declaration), or null.</summary>
    public static string? Check(ToolArguments args)
    {
        int number = args.Int("step_number") ?? 1;
        int total = args.Int("total_steps") ?? 1;
        if (number > total)
        {
            return $"'step_number' ({number}) may not exceed 'total_steps' ({total}); raise total_steps when the work needs more steps";
        }

        if (args.Int("backtrack_from_step") is int back && back >= number)
        {
            return $"'backtrack_from_step' ({back}) must be below 'step_number' ({number})";
        }

        return null;
    }

    /// <summary>The step the arguments describe.</summary>
    public static WorkflowStep StepOf(ToolArguments args) => new()
    {
        StepNumber = args.Int("step_number") ?? 1,
        TotalSteps = args.Int("total_steps") ?? 1,
        NextStepRequired = args.Bool("next_step_required") ?? false,
        Findings = Conversation.Clip(args.Text("findings") ?? string.Empty),
        FilesChecked = args.TextList("files_checked"),
        RelevantFiles = args.TextList("relevant_files"),
        RelevantContext = args.TextList("relevant_context"),
        IssuesFound = [.. args.Objects("issues_found").Select(i => new WorkflowIssue(i.RequiredText("severity"), i.RequiredText("description")))],
        Confidence = args.Text("confidence") ?? "low",
        Hypothesis = args.Text("hypothesis"),
        BacktrackFromStep = args.Int("backtrack_from_step"),
    };
}
