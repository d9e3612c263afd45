using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Tools.Files;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Tools;

/// <summary>
/// General chat and thinking partner: a prompt (with files and images), answered by the chosen, the continued or the
/// routed model. Every answer opens or continues a conversation thread whose id comes back as <c>continuation_id</c>.
/// </summary>
/// <param name="providers">The registry: routing, models, lanes.</param>
/// <param name="threads">Where conversations live.</param>
/// <param name="files">Reads the files a call names.</param>
/// <param name="time">The dispatcher's clock, to tell a provider how long the call has left.</param>
public sealed class ChatTool(ProviderRegistry providers, IThreadStore threads, FileReader files, TimeProvider time) : ToolBase
{
    /// <summary>A chat tool with an in-memory thread store and default file limits, on the system clock (tests).</summary>
    public ChatTool(ProviderRegistry providers)
        : this(providers, new MemoryThreadStore(new ThreadStoreOptions()), new FileReader(new FileLimits()), TimeProvider.System)
    {
    }

    private const string SystemPrompt =
        "You are a senior engineer and a thoughtful thinking partner in a conversation with another AI assistant that is working on a developer's task. " +
        "Answer precisely and briefly; say what you are unsure of; when files are embedded, refer to them by path and line number.";

    /// <summary>Appended when the model stopped at its output limit: a cut answer must never pass for a whole one.</summary>
    public const string TruncationNotice = "[truncated: the model stopped at its output token limit (finish_reason=length); the answer above is incomplete]";

    /// <summary>The thinking modes a caller may ask for.</summary>
    internal static readonly string[] ThinkingModes = ["minimal", "low", "medium", "high", "max"];

    /// <inheritdoc />
    public override string Name => "chat";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("Chat", ReadOnly: true, OpenWorld: true);

    /// <inheritdoc />
    public override ToolResultFields ResultFields => ToolResultFields.Thread | ToolResultFields.Model;

    /// <inheritdoc />
    public override string Description =>
        "Ask an AI model: questions, brainstorming, second opinions.";

    /// <inheritdoc />
    public override bool Coalescable => true;

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields =>
    [
        Field.Text("prompt", "", required: true, nonBlank: true),
        Field.TextList("files", "Absolute paths.", maxItems: 100, nonBlankItems: true),
        Field.TextList("images", "", maxItems: 20, nonBlankItems: true),
        ModelField,
        Field.Number("temperature", "", 0, 1),
        Field.Text("thinking_mode", "", oneOf: ThinkingModes),
        Field.Boolean("use_websearch", ""),
        Conversation.Field(),
    ];

    /// <summary>The <c>model</c> argument every model-backed tool takes.</summary>
    internal static ToolField ModelField => Field.Text("model", "auto or a listmodels name.", nonBlank: true);

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments)
    {
        // The lane is the provider that will serve the call, so its limit is the one that counts; the route goes with
        // the call, so that the run does not decide it again.
        var route = RouteOf(arguments, Conversation.IdOf(arguments) is { } id ? threads.KnownModel(id) : null);
        if (!providers.TryRoute(route, out var decision, out string? modelError))
        {
            return ToolValidation.Invalid($"'model': {modelError}");
        }

        if (CheckImages(route, decision!) is { } imageError)
        {
            return ToolValidation.Invalid(imageError);
        }

        return ToolValidation.RunIn(decision!.Choice.Provider.Name, new RoutePlan(route, decision));
    }

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var args = new ToolArguments(context.Arguments);
        var threadId = Conversation.IdOf(args);
        var thread = threadId is { } id ? await Conversation.LoadAsync(threads, id, cancellationToken).ConfigureAwait(false) : null;

        var (route, decision) = RoutePlan.Of(context, thread) ?? Plan(RouteOf(args, thread?.Model));

        var prompt = args.RequiredPrompt("prompt"); // a big one read in place: never a UTF-16 copy of it
        string[] paths = args.TextList("files");
        string embedded = await files.EmbedAsync(paths, "files", cancellationToken).ConfigureAwait(false);
        var userText = embedded.Length == 0 ? prompt : prompt.Append($"\n\nFiles:\n{embedded}");
        var current = new ChatMessage(ChatRole.User, userText, ImagesOf(args));
        var answer = await ModelAsk.AskAsync(context, decision, route, SystemPrompt, thread, current, args.Number("temperature") ?? 0.5, LatencyOf(context), time, cancellationToken).ConfigureAwait(false);
        var turn = Conversation.AnsweredTurn(Name, Conversation.Clip(prompt), answer, paths, time.GetUtcNow());
        var recordedIn = threadId ?? ThreadIds.New();
        int? remaining = await Conversation.RecordAsync(threads, recordedIn, turn, create: threadId is null, cancellationToken, answered: true).ConfigureAwait(false);

        // Not recorded (another call took the thread's last turn meanwhile): the answer stands, with no thread to go on.
        return new ToolOutput(answer.Text, answer.Response.Provider, answer.Response.Model, remaining is > 0 ? recordedIn.ToString() : null) { Route = answer.Reason, Usage = ModelAsk.UsageOf(answer.Response) };
    }

    private RoutePlan Plan(in RouteRequest route) =>
        providers.TryRoute(route, out var decision, out string? error) ? new(route, decision!) : throw new ToolArgumentException($"'model': {error}");

    private static RouteRequest RouteOf(ToolArguments arguments, string? threadModel) => new()
    {
        Tool = "chat",
        Model = arguments.Text("model"),
        ThreadModel = threadModel,
        ThinkingMode = arguments.Text("thinking_mode"),
        UseWebSearch = arguments.Bool("use_websearch") ?? false,
        HasImages = arguments.TextList("images").Length > 0,
    };

    /// <summary>Images sent to a model that cannot see them would be answered as if it had.</summary>
    internal static string? CheckImages(in RouteRequest route, RouteDecision decision)
    {
        var model = decision.Choice.Model;
        return route.HasImages && model.Capabilities != ModelCapabilities.None && !model.Can(ModelCapabilities.Vision) &&
            decision.Choice.Provider.Name != Models.Local.LocalModelProvider.ProviderName
            ? $"'images': model '{model.Name}' does not take images; use 'auto' or a vision model from listmodels"
            : null;
    }

    private static string[]? ImagesOf(ToolArguments arguments) => arguments.TextList("images") is { Length: > 0 } images ? images : null;
}
