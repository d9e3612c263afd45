using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Routing;

namespace ExaiFast.Tools.Tools;

/// <summary>General chat and thinking partner: a prompt, answered by the chosen (or the routed) model.</summary>
/// <param name="providers">The registry: routing, models, lanes.</param>
/// <param name="time">The dispatcher's clock, to tell a provider how long the call has left.</param>
public sealed class ChatTool(ProviderRegistry providers, TimeProvider time) : ToolBase
{
    /// <summary>A chat tool on the system clock.</summary>
    public ChatTool(ProviderRegistry providers)
        : this(providers, TimeProvider.System)
    {
    }

    private const string SystemPrompt = "You are a senior engineer and a thoughtful thinking partner. Answer precisely and briefly.";

    /// <summary>Appended when the model stopped at its output limit: a cut answer must never pass for a whole one.</summary>
    public const string TruncationNotice = "[truncated: the model stopped at its output token limit (finish_reason=length); the answer above is incomplete]";

    /// <inheritdoc />
    public override string Name => "chat";

    /// <inheritdoc />
    public override string Description =>
        "General chat and collaborative thinking with an AI model (Kimi, GLM, an OpenAI-compatible server, or the offline local model). " +
        "Use for questions, brainstorming, second opinions and explanations.";

    /// <inheritdoc />
    public override bool Coalescable => true;

    /// <inheritdoc />
    protected override string SchemaProperties =>
        "\"prompt\":{\"type\":\"string\",\"description\":\"What to ask or discuss.\"}," +
        "\"model\":{\"type\":\"string\",\"description\":\"'auto' (default), a model name or alias from listmodels, or a provider name.\"}," +
        "\"temperature\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1,\"description\":\"0 = deterministic, 1 = creative.\"}," +
        "\"thinking_mode\":{\"type\":\"string\",\"enum\":[\"minimal\",\"low\",\"medium\",\"high\",\"max\"],\"description\":\"Ask a thinking-capable model to reason first.\"}," +
        "\"use_websearch\":{\"type\":\"boolean\",\"description\":\"Let the model search the web (GLM's web-search tool).\"}," +
        "\"images\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Image URLs (http(s) or data:) for a vision model.\"}," +
        "\"continuation_id\":{\"type\":\"string\",\"description\":\"Continue an earlier conversation thread.\"}";

    /// <inheritdoc />
    protected override string[] Required => ["prompt"];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ArgumentReader reader, JsonElement arguments)
    {
        reader.HasRequiredString("prompt", out string? error);
        reader.OptionalNumber("temperature", 0, 1, ref error);
        reader.OptionalString("continuation_id", ref error);
        var route = RouteOf(reader, arguments, ref error);
        if (error is not null)
        {
            return ToolValidation.Invalid(error);
        }

        // The lane is the provider that will serve the call, so its limit is the one that counts.
        if (!providers.TryRoute(route, out var decision, out string? modelError))
        {
            return ToolValidation.Invalid($"'model': {modelError}");
        }

        var model = decision!.Choice.Model;
        if (route.HasImages && model.Capabilities != ModelCapabilities.None && !model.Can(ModelCapabilities.Vision) &&
            decision.Choice.Provider.Name != Models.Local.LocalModelProvider.ProviderName)
        {
            // Sending them anyway would have the model answer as if it had seen them.
            return ToolValidation.Invalid($"'images': model '{model.Name}' does not take images; use 'auto' or a vision model from listmodels");
        }

        return ToolValidation.RunIn(decision.Choice.Provider.Name);
    }

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var args = context.Arguments;
        var reader = new ArgumentReader(args);
        string? error = null;
        var route = RouteOf(reader, args, ref error);
        if (!providers.TryRoute(route, out var decision, out error))
        {
            throw new ToolArgumentException($"'model': {error}");
        }

        string prompt = args.GetProperty("prompt").GetString()!;
        double temperature = reader.OptionalNumber("temperature", 0, 1, ref error) ?? 0.5;
        var request = new ModelRequest
        {
            Messages = [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, prompt, ImagesOf(args))],
            Temperature = temperature,
            ThinkingMode = route.ThinkingMode,
            UseWebSearch = route.UseWebSearch,
            LatencyMs = LatencyOf(context),
            TimeLeft = context.TimeLeft(time),
        };

        var first = decision!.Choice.Provider;
        if (first.Name != Models.Local.LocalModelProvider.ProviderName)
        {
            // Worth a frame when a remote model is about to take seconds; the local one answers at once (heartbeats
            // still cover a simulated slow local call).
            context.ReportProgress($"asking {decision.Choice}");
        }

        var (response, reason) = await FallbackChain.CompleteAsync(decision, request, context.Stream ? StreamTo(context) : null, cancellationToken).ConfigureAwait(false);
        string text = response.Truncated ? response.Text + "\n\n" + TruncationNotice : response.Text;
        return new ToolOutput(text, response.Provider, response.Model) { Route = reason };
    }

    private static RouteRequest RouteOf(ArgumentReader reader, JsonElement arguments, ref string? error)
    {
        string? model = reader.OptionalString("model", ref error);
        string? thinking = reader.OptionalString("thinking_mode", ref error);
        if (thinking is not null and not ("minimal" or "low" or "medium" or "high" or "max"))
        {
            error ??= "'thinking_mode' must be one of minimal, low, medium, high, max";
        }

        bool webSearch = reader.OptionalBool("use_websearch", ref error) ?? false;
        bool images = false;
        if (arguments.TryGetProperty("images", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String))
            {
                error ??= "'images' must be an array of strings";
            }
            else
            {
                images = list.GetArrayLength() > 0;
            }
        }

        return new RouteRequest { Tool = "chat", Model = model, ThinkingMode = thinking, UseWebSearch = webSearch, HasImages = images };
    }

    private static string[]? ImagesOf(JsonElement arguments) =>
        arguments.TryGetProperty("images", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
            ? [.. list.EnumerateArray().Select(i => i.GetString()!)]
            : null;

    // In its own method so that the closure is allocated only for streaming calls.
    private static Action<string> StreamTo(ToolContext context) => context.EmitChunk;
}
