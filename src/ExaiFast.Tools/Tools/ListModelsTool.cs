using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models;

namespace ExaiFast.Tools.Tools;

/// <summary>Lists the providers, their models and whether each can take requests now.</summary>
public sealed class ListModelsTool(ProviderRegistry providers) : ToolBase
{
    /// <inheritdoc />
    public override string Name => "listmodels";

    /// <inheritdoc />
    public override string Description => "List the model providers and models this daemon can use, and which are available now.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ArgumentReader reader, JsonElement arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        var sb = new StringBuilder("Model providers (first available answers model 'auto'):\n");
        foreach (var provider in providers.All)
        {
            sb.Append("- ").Append(provider.Name).Append(provider.IsAvailable ? " (available): " : " (unavailable): ")
              .Append(string.Join(", ", provider.Models)).Append('\n');
        }

        return new ToolOutput(sb.ToString().TrimEnd());
    }
}
