using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;

namespace ExaiFast.Tools;

/// <summary>
/// What every tool shares: the common arguments <c>stream</c> and <c>local_latency_ms</c> (simulate a slow model for
/// this one call), schema assembly, and validation that runs before a call is admitted.
/// </summary>
public abstract class ToolBase : ITool
{
    /// <summary>Largest simulated latency a call may ask for.</summary>
    public const int MaxLatencyMs = 600_000;

    private const string CommonProperties =
        "\"stream\":{\"type\":\"boolean\",\"description\":\"Stream output as it is produced (stream_chunk frames).\"}," +
        "\"local_latency_ms\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":600000,\"description\":\"Testing: make the offline local model (or this tool) take this long.\"}";

    private readonly Lazy<byte[]> _schema;

    /// <summary>Builds the schema from <see cref="SchemaProperties"/> and <see cref="Required"/>.</summary>
    protected ToolBase() => _schema = new Lazy<byte[]>(BuildSchema, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <inheritdoc />
    public virtual bool Coalescable => false;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> InputSchema => _schema.Value;

    /// <summary>The tool's own JSON Schema properties, as the inside of an object (may be empty).</summary>
    protected virtual string SchemaProperties => string.Empty;

    /// <summary>Required property names.</summary>
    protected virtual string[] Required => [];

    /// <summary>
    /// The whole input schema, listed verbatim, for a tool whose schema is not the usual object of its own properties
    /// plus the common ones (e.g. JSON Schema 2020-12 keywords: <c>$schema</c>, <c>$defs</c>,
    /// <c>additionalProperties: false</c>). Null (the default) builds it from <see cref="SchemaProperties"/>.
    /// </summary>
    protected virtual string? WholeSchema => null;

    /// <inheritdoc />
    public ToolValidation Validate(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            return ToolValidation.Invalid("arguments must be an object");
        }

        var reader = new ArgumentReader(arguments);
        string? error = null;
        reader.OptionalBool("stream", ref error);
        reader.OptionalInt("local_latency_ms", 0, MaxLatencyMs, ref error);
        if (error is not null)
        {
            return ToolValidation.Invalid(error);
        }

        return ValidateOwn(reader, arguments);
    }

    /// <summary>Checks the tool's own arguments and returns the lane to run in.</summary>
    protected abstract ToolValidation ValidateOwn(ArgumentReader reader, JsonElement arguments);

    /// <inheritdoc />
    public abstract ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken);

    /// <summary>The call's <c>local_latency_ms</c>, if given.</summary>
    protected static int? LatencyOf(ToolContext context) =>
        context.Arguments.TryGetProperty("local_latency_ms", out var v) && v.TryGetInt32(out int ms) ? ms : null;

    /// <summary>For tools that answer without a model: honour <c>local_latency_ms</c> so any tool can be made slow in tests.</summary>
    protected static Task SimulateLatencyAsync(ToolContext context, CancellationToken cancellationToken) =>
        LatencyOf(context) is int ms and > 0 ? Task.Delay(ms, cancellationToken) : Task.CompletedTask;

    private byte[] BuildSchema()
    {
        if (WholeSchema is { } whole)
        {
            var verbatim = Encoding.UTF8.GetBytes(whole);
            using var document = JsonDocument.Parse(verbatim); // a schema typo fails at startup, not in a client
            return document.RootElement.ValueKind == JsonValueKind.Object ? verbatim : throw new InvalidOperationException($"{Name}: the input schema must be a JSON object");
        }

        var sb = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        if (SchemaProperties.Length > 0)
        {
            sb.Append(SchemaProperties).Append(',');
        }

        sb.Append(CommonProperties).Append('}');
        if (Required.Length > 0)
        {
            sb.Append(",\"required\":[").Append(string.Join(',', Required.Select(r => $"\"{r}\""))).Append(']');
        }

        sb.Append('}');
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        using var _ = JsonDocument.Parse(bytes); // a schema typo fails at startup, not in a client
        return bytes;
    }
}
