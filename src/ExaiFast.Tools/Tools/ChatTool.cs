using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models;

namespace ExaiFast.Tools.Tools;

/// <summary>General chat and thinking partner: a prompt, answered by the chosen (or the first available) model.</summary>
public sealed class ChatTool(ProviderRegistry providers) : ToolBase
{
    private const string SystemPrompt = "You are a senior engineer and a thoughtful thinking partner. Answer precisely and briefly.";

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
        "\"model\":{\"type\":\"string\",\"description\":\"'auto' (default), a model name from listmodels, or a provider name.\"}," +
        "\"temperature\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1,\"description\":\"0 = deterministic, 1 = creative.\"}," +
        "\"continuation_id\":{\"type\":\"string\",\"description\":\"Continue an earlier conversation thread.\"}";

    /// <inheritdoc />
    protected override string[] Required => ["prompt"];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ArgumentReader reader, JsonElement arguments)
    {
        reader.HasRequiredString("prompt", out string? error);
        string? model = reader.OptionalString("model", ref error);
        reader.OptionalNumber("temperature", 0, 1, ref error);
        reader.OptionalString("continuation_id", ref error);
        if (error is not null)
        {
            return ToolValidation.Invalid(error);
        }

        return providers.TryResolve(model, out var provider, out string? modelError)
            ? ToolValidation.RunIn(provider.Name)
            : ToolValidation.Invalid($"'model': {modelError}");
    }

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var args = context.Arguments;
        string prompt = args.GetProperty("prompt").GetString()!;
        string? model = args.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        double temperature = args.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0.5;
        if (!providers.TryResolve(model, out var provider, out string? error))
        {
            throw new ToolArgumentException($"'model': {error}");
        }

        var request = new ModelRequest(model is not null && ServesModel(provider, model) ? model : null, SystemPrompt, prompt, temperature, LatencyOf(context));
        if (provider.Name != Models.Local.LocalModelProvider.ProviderName)
        {
            // Worth a frame when a remote model is about to take seconds; the local one answers at once (heartbeats
            // still cover a simulated slow local call).
            context.ReportProgress($"asking {provider.Name}");
        }

        var response = await provider.CompleteAsync(request, context.Stream ? StreamTo(context) : null, cancellationToken).ConfigureAwait(false);
        return new ToolOutput(response.Text, response.Provider, response.Model);
    }

    // In its own method so that the closure is allocated only for streaming calls.
    private static Action<string> StreamTo(ToolContext context) => context.EmitChunk;

    private static bool ServesModel(IModelProvider provider, string model)
    {
        var models = provider.Models;
        for (int i = 0; i < models.Count; i++)
        {
            if (string.Equals(models[i], model, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
