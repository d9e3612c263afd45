using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models;

using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Tools;

/// <summary>Lists the providers, their models and whether each can take requests now.</summary>
public sealed class ListModelsTool(ProviderRegistry providers) : ToolBase
{
    /// <inheritdoc />
    public override string Name => "listmodels";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("List models", ReadOnly: true, OpenWorld: false, Idempotent: true);

    /// <inheritdoc />
    public override string Description => "The providers and models, and which are available.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        var sb = new StringBuilder();
        sb.Append("Default model: ").Append(providers.DefaultModel);
        if (providers.Remote.Count == 0)
        {
            sb.Append(" — no API key or model server is configured (KIMI_API_KEY, GLM_API_KEY, OPENAI_COMPATIBLE_BASE_URL), so the offline local model answers");
        }

        sb.Append("\nModel providers, in preference order (a provider is unavailable when every model of it that was asked has its circuit open):\n");
        foreach (var provider in providers.All)
        {
            sb.Append("- ").Append(provider.Name).Append(" (").Append(provider.State switch
            {
                ProviderState.Open => "unavailable: circuit open",
                ProviderState.HalfOpen => "recovering: circuit half-open",
                _ => "available",
            }).Append(")\n");
            foreach (var model in provider.Models)
            {
                sb.Append("  - ").Append(model.Name);
                if (model.ContextWindow > 0)
                {
                    sb.Append(", context ").Append(model.ContextWindow / 1024).Append('K');
                }

                if (model.Capabilities != ModelCapabilities.None)
                {
                    sb.Append(", ").Append(model.Capabilities.ToString().ToLowerInvariant());
                }

                if (model.Aliases.Count > 0)
                {
                    sb.Append(", aliases: ").Append(string.Join(", ", model.Aliases));
                }

                switch (provider.StateOf(model))
                {
                    case ProviderState.Open:
                        sb.Append(" (unavailable: circuit open)");
                        break;
                    case ProviderState.HalfOpen:
                        sb.Append(" (recovering: circuit half-open)");
                        break;
                }

                sb.Append('\n');
            }
        }

        return new ToolOutput(sb.ToString().TrimEnd());
    }
}
