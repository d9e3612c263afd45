using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The conformance suite's <c>tools-call-error</c>: the tool always fails, and the client gets a tool error
/// (<c>isError: true</c> and the message as text), not a JSON-RPC error.
/// </summary>
/// <remarks>
/// It fails the way a tool may show its message to the client: a <see cref="ProviderException"/> (PROVIDER_ERROR), the
/// daemon's one failure whose text reaches the peer besides bad arguments; any other exception is logged and answered
/// with a generic INTERNAL_ERROR text.
/// </remarks>
internal sealed class ErrorHandlingTool : ToolBase
{
    /// <summary>The message the suite's reference server sends.</summary>
    public const string Message = "This tool intentionally returns an error for testing";

    /// <inheritdoc />
    public override string Name => "test_error_handling";

    /// <inheritdoc />
    public override string Description => "Conformance: always fails with a tool error (isError: true).";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) =>
        ValueTask.FromException<ToolOutput>(new ProviderException(Message));
}
