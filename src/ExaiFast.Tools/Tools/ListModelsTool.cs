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
                    sb.Append(", context ").Append(Tokens(model.ContextWindow));
                }

                if (model.MaxOutputTokens > 0)
                {
                    sb.Append(", answers up to ").Append(Tokens(model.MaxOutputTokens));
                }

                if (model.Capabilities != ModelCapabilities.None)
                {
                    sb.Append(", ").Append(model.Capabilities.ToString().ToLowerInvariant());
                }

                if (model.Aliases.Count > 0)
                {
                    sb.Append(", aliases: ").Append(string.Join(", ", model.Aliases));
                }

                if (!model.Auto)
                {
                    sb.Append(", never picked by auto");
                }

                if (model.FromModelsFile)
                {
                    sb.Append(", from EXAIFAST_MODELS_FILE");
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

            if (provider.AllowList is { } allowList)
            {
                // Named, so that a model the client expected is seen to be withheld on purpose, not missing.
                sb.Append("  ").Append(allowList.Setting).Append(allowList.Hidden.Count == 0
                    ? " is in force and allows every model"
                    : $" is in force; hidden by it: {string.Join(", ", allowList.Hidden.Select(m => m.Name))}").Append('\n');
            }
        }

        return new ToolOutput(sb.ToString().TrimEnd());
    }

    // 8K for 8192; a window that is no whole number of K (a models file's 100000) as it is.
    private static string Tokens(int count) =>
        count % 1024 == 0 ? $"{count / 1024}K" : count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
