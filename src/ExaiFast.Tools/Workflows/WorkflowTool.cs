using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Tools.Files;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>
/// A step-by-step investigation tool (thinkdeep, analyze, codereview, debug …): the client does the work in steps and
/// reports each; the daemon records every step in the conversation thread and, at the final step, asks the model once
/// over the consolidated findings — never a hidden loop of calls (the original's auto-execution made up to 50).
/// </summary>
/// <remarks>
/// <para>Step 1 opens a thread (or continues one another tool began); each step is one atomic append to it; the answer
/// says what the client should send next (<c>next_call</c>). Intermediate steps make no model call and run in the local
/// lane, holding no provider's slot; the final step runs in the lane of the model that answers it.</para>
/// <para>Stateless: one instance serves every client; everything about a run is in its thread.</para>
/// </remarks>
public sealed class WorkflowTool : ToolBase
{
    private readonly WorkflowSpec _spec;
    private readonly ProviderRegistry _providers;
    private readonly IThreadStore _threads;
    private readonly FileReader _files;
    private readonly TimeProvider _time;

    /// <summary>A workflow tool as <paramref name="spec"/> describes it.</summary>
    public WorkflowTool(WorkflowSpec spec, ProviderRegistry providers, IThreadStore threads, FileReader files, TimeProvider time)
    {
        _spec = spec;
        _providers = providers;
        _threads = threads;
        _files = files;
        _time = time;
    }

    /// <inheritdoc />
    public override string Name => _spec.Name;

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new(_spec.Title, ReadOnly: true, OpenWorld: true);

    /// <inheritdoc />
    public override ToolResultFields ResultFields => ToolResultFields.Thread | ToolResultFields.Model | ToolResultFields.NextCall;

    /// <inheritdoc />
    public override string Description => _spec.Description;

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields =>
        [.. WorkflowFields.Step(_spec.StepDescription), .. WorkflowFields.Investigation, .. _spec.OwnFields, .. WorkflowFields.Model];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments)
    {
        if (StepRules.Check(arguments) is { } error)
        {
            return ToolValidation.Invalid(error);
        }

        if (!IsFinalModelStep(arguments))
        {
            return ToolValidation.RunIn(LocalModelProvider.ProviderName); // no model call: no provider's slot
        }

        var route = RouteOf(arguments, Conversation.IdOf(arguments) is { } id ? _threads.KnownModel(id) : null);
        if (!_providers.TryRoute(route, out var decision, out string? modelError))
        {
            return ToolValidation.Invalid($"'model': {modelError}");
        }

        return Tools.ChatTool.CheckImages(route, decision!) is { } imageError
            ? ToolValidation.Invalid(imageError)
            : ToolValidation.RunIn(decision!.Choice.Provider.Name, new RoutePlan(route, decision));
    }

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var args = new ToolArguments(context.Arguments);
        var step = StepRules.StepOf(args);
        var threadId = Conversation.IdOf(args);
        if (threadId is null && step.StepNumber > 1)
        {
            throw new ToolArgumentException($"'continuation_id' is required from step 2 on: pass the continuation_id that step 1 of this {Name} returned");
        }

        var thread = threadId is { } id ? await Conversation.LoadAsync(_threads, id, cancellationToken).ConfigureAwait(false) : null;
        var run = WorkflowRun.Of(Name, thread, step);
        var recordedIn = threadId ?? ThreadIds.New();
        var turn = new ThreadTurn { Tool = Name, Request = Conversation.Clip(args.RequiredText("step")), Step = step, At = _time.GetUtcNow() };

        if (!IsFinalModelStep(args))
        {
            int? left = await Conversation.RecordAsync(_threads, recordedIn, turn, create: threadId is null, cancellationToken).ConfigureAwait(false);
            string? continuation = left is not null ? recordedIn.ToString() : null;
            string json = step.NextStepRequired
                ? Answer(step, run, continuation, left, status: $"{Name}_in_progress", writeMore: w => WriteNextCall(w, step, continuation))
                : Answer(step, run, continuation, left, status: "local_work_complete", writeMore: w => WriteConsolidated(w, run));
            return new ToolOutput(json, ContinuationId: left > 0 ? continuation : null);
        }

        // The final step: one model call over everything the run found.
        var (route, decision) = RoutePlan.Of(context, thread) ?? Plan(RouteOf(args, thread?.Model));

        string embedded = await _files.EmbedAsync(run.RelevantFiles, "relevant_files", cancellationToken).ConfigureAwait(false);
        var earlier = thread is null ? null : thread with { Turns = [.. thread.Turns.Where(t => t.Step is null)] }; // other tools' conversation
        var current = new ChatMessage(ChatRole.User, FinalPrompt(args, run, embedded), args.TextList("images") is { Length: > 0 } images ? images : null);
        var answer = await ModelAsk.AskAsync(context, decision, route, _spec.SystemPrompt, earlier, current, args.Number("temperature") ?? 0.3, LatencyOf(context), _time, cancellationToken).ConfigureAwait(false);
        var answered = Conversation.AnsweredTurn(Name, turn.Request, answer, run.RelevantFiles, turn.At, step);
        int? remaining = await Conversation.RecordAsync(_threads, recordedIn, answered, create: threadId is null, cancellationToken, answered: true).ConfigureAwait(false);
        string? thenId = remaining is not null ? recordedIn.ToString() : null;
        string result = Answer(step, run, thenId, remaining, status: $"{Name}_complete", writeMore: w =>
        {
            WriteConsolidated(w, run);
            w.WriteStartObject("expert_analysis");
            w.WriteString("provider", answer.Response.Provider);
            w.WriteString("model", answer.Response.Model);
            w.WriteString("content", answer.Text);
            w.WriteEndObject();
            w.WriteString("next_steps", "Review the analysis against your own findings, then act on it; continue the conversation with continuation_id if you need more.");
        });
        return new ToolOutput(result, answer.Response.Provider, answer.Response.Model, remaining > 0 ? thenId : null) { Route = answer.Reason, Usage = ModelAsk.UsageOf(answer.Response) };
    }

    private static bool IsFinalModelStep(ToolArguments args) =>
        args.Bool("next_step_required") == false && args.Bool("use_assistant_model") != false;

    private RoutePlan Plan(in RouteRequest route) =>
        _providers.TryRoute(route, out var decision, out string? error) ? new(route, decision!) : throw new ToolArgumentException($"'model': {error}");

    private RouteRequest RouteOf(ToolArguments args, string? threadModel) => new()
    {
        Tool = Name,
        Model = args.Text("model"),
        ThreadModel = threadModel,
        ThinkingMode = args.Text("thinking_mode"),
        UseWebSearch = args.Bool("use_websearch") ?? false,
        HasImages = args.TextList("images").Length > 0,
        FinalStep = true,
    };

    // What the model is asked at the final step: the task, every step's report, the tool's own settings, the files.
    private string FinalPrompt(ToolArguments args, WorkflowRun run, string embedded)
    {
        var text = new StringBuilder();
        text.Append("The ").Append(Name).Append(" investigation below was carried out in ").Append(run.Steps.Count)
            .Append(run.Steps.Count == 1 ? " step" : " steps").Append(". Give your expert analysis of it.\n\n");
        foreach (var field in _spec.OwnFields)
        {
            if (args.Has(field.Name) && args.Json.GetProperty(field.Name) is var value)
            {
                text.Append(field.Name).Append(": ").Append(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()).Append('\n');
            }
        }

        foreach (var step in run.Steps)
        {
            text.Append("\n## Step ").Append(step.StepNumber).Append(" (confidence: ").Append(step.Confidence).Append(")\n");
            text.Append("Findings: ").Append(step.Findings).Append('\n');
            if (step.Hypothesis is { } h)
            {
                text.Append("Hypothesis: ").Append(h).Append('\n');
            }
        }

        if (run.Issues.Count > 0)
        {
            text.Append("\n## Issues found\n");
            foreach (var issue in run.Issues)
            {
                text.Append("- [").Append(issue.Severity).Append("] ").Append(issue.Description).Append('\n');
            }
        }

        if (run.RelevantContext.Count > 0)
        {
            text.Append("\n## Relevant code\n").AppendJoin(", ", run.RelevantContext).Append('\n');
        }

        if (run.FilesChecked.Count > 0)
        {
            text.Append("\n## Files checked\n").AppendJoin(", ", run.FilesChecked).Append('\n');
        }

        if (embedded.Length > 0)
        {
            text.Append("\n## Relevant files\n").Append(embedded);
        }

        return text.ToString();
    }

    // The JSON every step answers with (the original's field names, so clients written for it read it as before).
    private string Answer(WorkflowStep step, WorkflowRun run, string? continuation, int? turnsLeft, string status, Action<Utf8JsonWriter> writeMore)
    {
        return JsonText.Object(w =>
        {
            WorkflowFields.WriteStepStatus(w, status, step, continuation, turnsLeft);
            if (continuation is null)
            {
                w.WriteString("note", "this step could not be recorded: the thread reached its turn limit or expired meanwhile; start again from step 1 without continuation_id");
            }

            w.WriteStartObject($"{Name}_status");
            w.WriteNumber("steps_recorded", run.Steps.Count);
            w.WriteNumber("files_checked", run.FilesChecked.Count);
            w.WriteNumber("relevant_files", run.RelevantFiles.Count);
            w.WriteNumber("relevant_context", run.RelevantContext.Count);
            w.WriteNumber("issues_found", run.Issues.Count);
            w.WriteString("current_confidence", run.Confidence);
            if (run.Hypothesis is { } h)
            {
                w.WriteString("hypothesis", h);
            }

            w.WriteEndObject();
            writeMore(w);
        });
    }

    private void WriteNextCall(Utf8JsonWriter w, WorkflowStep step, string? continuation)
    {
        w.WriteString("guidance", _spec.Guidance);
        w.WriteStartObject("next_call");
        w.WriteString("tool", Name);
        w.WriteStartObject("arguments");
        w.WriteString("step", "<what you examine in this step>");
        w.WriteNumber("step_number", step.StepNumber + 1);
        w.WriteNumber("total_steps", Math.Max(step.TotalSteps, step.StepNumber + 1));
        w.WriteBoolean("next_step_required", step.StepNumber + 1 < step.TotalSteps);
        w.WriteString("findings", "<what this step found>");
        if (continuation is not null)
        {
            w.WriteString("continuation_id", continuation);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteConsolidated(Utf8JsonWriter w, WorkflowRun run)
    {
        w.WriteStartObject("consolidated");
        w.WriteStartArray("findings");
        foreach (var s in run.Steps)
        {
            w.WriteStringValue($"step {s.StepNumber}: {s.Findings}");
        }

        w.WriteEndArray();
        w.WriteStartArray("issues_found");
        foreach (var issue in run.Issues)
        {
            w.WriteStartObject();
            w.WriteString("severity", issue.Severity);
            w.WriteString("description", issue.Description);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        JsonText.Strings(w, "relevant_files", run.RelevantFiles);
        JsonText.Strings(w, "relevant_context", run.RelevantContext);
        JsonText.Strings(w, "files_checked", run.FilesChecked);
        w.WriteEndObject();
    }
}
