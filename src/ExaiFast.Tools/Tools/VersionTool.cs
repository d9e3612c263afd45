using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Tools;

/// <summary>The daemon's name, version and runtime.</summary>
public sealed class VersionTool : ToolBase
{
    private static readonly string Text =
        $"exaifast {(Assembly.GetEntryAssembly() ?? typeof(VersionTool).Assembly).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0"}" +
        $" on {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})";

    /// <inheritdoc />
    public override string Name => "version";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("Version", ReadOnly: true, OpenWorld: false, Idempotent: true);

    /// <inheritdoc />
    public override string Description => "The daemon's version and runtime.";

    /// <inheritdoc />
    public override bool Coalescable => true;

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        return new ToolOutput(Text);
    }
}
