using ExaiFast.Core.Tools;
using ExaiFast.Models.Local;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>
/// Sequential planning, self-contained: each step of the plan is recorded in the thread (revisions replace the step they
/// revise, branches are kept apart) and the final step returns the whole plan. No model call: the client's model plans;
/// the daemon keeps the plan straight.
/// </summary>
public sealed class PlannerTool(IThreadStore threads, TimeProvider time) : ToolBase
{
    /// <inheritdoc />
    public override string Name => "planner";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("Planner", ReadOnly: true, OpenWorld: false);

    /// <inheritdoc />
    public override ToolResultFields ResultFields => ToolResultFields.Thread;

    /// <inheritdoc />
    public override string Description =>
        "Plan a task step by step (revise, branch); no model call.";

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields =>
    [
        .. WorkflowFields.Step(""),
        Field.Boolean("is_step_revision", ""),
        Field.Integer("revises_step_number", "", 1, WorkflowFields.MaxSteps),
        Field.Boolean("is_branch_point", ""),
        Field.Integer("branch_from_step", "", 1, WorkflowFields.MaxSteps),
        Field.Text("branch_id", "", nonBlank: true, maxLength: 100),
        Field.Boolean("more_steps_needed", ""),
        Conversation.Field(),
    ];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments)
    {
        if (arguments.Int("step_number") > arguments.Int("total_steps") && arguments.Bool("more_steps_needed") != true)
        {
            return ToolValidation.Invalid($"'step_number' ({arguments.Int("step_number")}) may not exceed 'total_steps' ({arguments.Int("total_steps")}) unless more_steps_needed is true");
        }

        if (arguments.Bool("is_step_revision") == true && arguments.Int("revises_step_number") is not int)
        {
            return ToolValidation.Invalid("'revises_step_number' is required when is_step_revision is true");
        }

        if (arguments.Bool("is_branch_point") == true && (arguments.Int("branch_from_step") is not int || !arguments.Has("branch_id")))
        {
            return ToolValidation.Invalid("'branch_from_step' and 'branch_id' are required when is_branch_point is true");
        }

        return ToolValidation.RunIn(LocalModelProvider.ProviderName);
    }

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        var args = new ToolArguments(context.Arguments);
        int number = args.Int("step_number") ?? 1;
        var threadId = Conversation.IdOf(args);
        if (threadId is null && number > 1)
        {
            throw new ToolArgumentException("'continuation_id' is required from step 2 on: pass the continuation_id that step 1 of this plan returned");
        }

        var thread = threadId is { } id ? await Conversation.LoadAsync(threads, id, cancellationToken).ConfigureAwait(false) : null;
        string text = args.RequiredText("step");
        var step = new WorkflowStep
        {
            StepNumber = number,
            TotalSteps = Math.Max(number, args.Int("total_steps") ?? 1),
            NextStepRequired = args.Bool("next_step_required") ?? false,
            Findings = Conversation.Clip(text),
            Confidence = "medium",
            Branch = args.Text("branch_id"),
            Revises = args.Bool("is_step_revision") == true ? args.Int("revises_step_number") : null,
        };
        var recordedIn = threadId ?? ThreadIds.New();
        var turn = new ThreadTurn { Tool = Name, Request = step.Findings, Step = step, At = time.GetUtcNow() };
        int? left = await Conversation.RecordAsync(threads, recordedIn, turn, create: threadId is null, cancellationToken).ConfigureAwait(false);
        string? continuation = left is not null ? recordedIn.ToString() : null;

        var plan = PlanOf(thread, step);
        string json = JsonText.Object(w =>
        {
            WorkflowFields.WriteStepStatus(w, step.NextStepRequired ? "planning" : "planning_complete", step, continuation, left);

            w.WriteStartArray("plan");
            foreach (var s in plan.Where(s => s.Branch is null))
            {
                w.WriteStringValue($"{s.StepNumber}. {s.Findings}");
            }

            w.WriteEndArray();
            w.WriteStartObject("branches");
            foreach (var branch in plan.Where(s => s.Branch is not null).GroupBy(s => s.Branch!))
            {
                JsonText.Strings(w, branch.Key, branch.Select(s => $"{s.StepNumber}. {s.Findings}"));
            }

            w.WriteEndObject();
            w.WriteString("next", step.NextStepRequired
                ? $"Plan step {step.StepNumber + 1}: call planner with step_number {step.StepNumber + 1} and this continuation_id."
                : "The plan is complete: present it to the user, then carry it out step by step.");
        });
        return new ToolOutput(json, ContinuationId: left > 0 ? continuation : null);
    }

    // The plan so far: each step once (a revision replaces what it revises; a step sent again replaces the earlier one),
    // in step order, branches after the main line.
    private List<WorkflowStep> PlanOf(ConversationThread? thread, WorkflowStep current)
    {
        var steps = new List<WorkflowStep>();
        foreach (var s in (thread?.Turns ?? []).Where(t => t.Tool == Name && t.Step is not null).Select(t => t.Step!).Append(current))
        {
            if (s.StepNumber == 1 && s.Revises is null && s.Branch is null)
            {
                steps.Clear(); // a new plan on this thread
            }

            int replaces = s.Revises ?? s.StepNumber;
            steps.RemoveAll(p => p.StepNumber == replaces && p.Branch == s.Branch);
            steps.Add(s.Revises is int r ? s with { StepNumber = r } : s);
        }

        return [.. steps.OrderBy(s => s.Branch is not null).ThenBy(s => s.Branch).ThenBy(s => s.StepNumber)];
    }
}
