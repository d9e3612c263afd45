using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>
/// A tool for lease tests: <c>{"hold": true}</c> runs until its call is cancelled; otherwise it answers at once with
/// the length of its <c>prompt</c>, read when it answers. <c>{"bad": …}</c> fails validation. It records whether its
/// arguments were read where they arrived (inside <see cref="Payload"/>) or in a copy.
/// </summary>
internal sealed class HoldTool : ITool
{
    private int _started;
    private int _inPlace;
    private int _copied;

    public string Name => "hold";

    public string Description => "holds until cancelled, or answers the prompt's length";

    public ReadOnlyMemory<byte> InputSchema => Encoding.UTF8.GetBytes("""{"type":"object"}""");

    public bool Coalescable => false;

    /// <summary>The bytes the next calls' arguments arrive in.</summary>
    public byte[]? Payload { get; set; }

    public int Started => Volatile.Read(ref _started);

    /// <summary>Calls whose arguments were read inside <see cref="Payload"/>.</summary>
    public int InPlace => Volatile.Read(ref _inPlace);

    /// <summary>Calls whose arguments were a copy.</summary>
    public int Copied => Volatile.Read(ref _copied);

    public ToolValidation Validate(JsonElement arguments) =>
        arguments.TryGetProperty("bad", out _) ? ToolValidation.Invalid("'bad' is not allowed") : ToolValidation.RunIn("local");

    public async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        bool inPlace = Payload is { } payload && payload.AsSpan().Overlaps(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(context.Arguments));
        Interlocked.Increment(ref inPlace ? ref _inPlace : ref _copied);
        Interlocked.Increment(ref _started);
        if (context.Arguments.TryGetProperty("hold", out _))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        // Read at the end, after the submitting reader has long moved on: the arguments must still be there.
        int length = context.Arguments.TryGetProperty("prompt", out var p) ? p.GetString()!.Length : 0;
        return new ToolOutput(length.ToString(System.Globalization.CultureInfo.InvariantCulture), "local", "hold-model");
    }
}
