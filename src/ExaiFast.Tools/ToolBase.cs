using System.Text;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools;

/// <summary>
/// What every tool shares: its declared fields (<see cref="OwnFields"/>) plus the common <c>stream</c> and
/// <c>local_latency_ms</c>, from which both its input schema and its validation come, run before a call is admitted.
/// </summary>
/// <remarks>MCP clients are not shown the common two (<see cref="InputSchema"/>): <c>stream</c> asks for exai-ws
/// <c>stream_chunk</c> frames, which MCP has no use for, and <c>local_latency_ms</c> is for tests and load runs; a call
/// may still send them. exai-ws lists them (<see cref="ExaiWsInputSchema"/>).</remarks>
public abstract class ToolBase : ITool
{
    /// <summary>Largest simulated latency a call may ask for.</summary>
    public const int MaxLatencyMs = 600_000;

    private static readonly ToolField[] CommonFields =
    [
        Field.Boolean("stream", ""), // exai-ws stream_chunk frames; undescribed: exai-ws clients know it
        Field.Integer("local_latency_ms", "", 0, MaxLatencyMs), // for tests and load runs
    ];

    private readonly Lazy<ToolFields> _fields;
    private readonly Lazy<byte[]> _schema;
    private readonly Lazy<byte[]> _exaiWsSchema;

    /// <summary>Builds the declaration and the schema from <see cref="OwnFields"/> on first use.</summary>
    protected ToolBase()
    {
        _fields = new Lazy<ToolFields>(() => new ToolFields([.. OwnFields, .. CommonFields]), LazyThreadSafetyMode.ExecutionAndPublication);
        _schema = new Lazy<byte[]>(() => BuildSchema(withCommon: false), LazyThreadSafetyMode.ExecutionAndPublication);
        _exaiWsSchema = new Lazy<byte[]>(() => BuildSchema(withCommon: true), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <inheritdoc />
    public virtual bool Coalescable => false;

    /// <inheritdoc />
    public virtual TaskSupport Tasks => TaskSupport.WhenLong;

    /// <inheritdoc />
    /// <remarks>By default: changes nothing outside the daemon, calls no model, and a repeat has no further effect.</remarks>
    public virtual ToolAnnotations Annotations => new(Name, ReadOnly: true, OpenWorld: false, Idempotent: true);

    /// <inheritdoc />
    /// <remarks>By default: only the status (a tool that records no thread and asks no model).</remarks>
    public virtual ToolResultFields ResultFields => ToolResultFields.None;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> InputSchema => _schema.Value;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> ExaiWsInputSchema => _exaiWsSchema.Value;

    /// <summary>The tool's declared arguments, common ones included.</summary>
    public ToolFields Fields => _fields.Value;

    /// <summary>The tool's own arguments, in the order the schema lists them.</summary>
    protected virtual IEnumerable<ToolField> OwnFields => [];

    /// <summary>
    /// The whole input schema, listed verbatim, for a tool whose schema is not the usual object of its own properties
    /// plus the common ones (e.g. JSON Schema 2020-12 keywords: <c>$schema</c>, <c>$defs</c>,
    /// <c>additionalProperties: false</c>). Null (the default) builds it from <see cref="OwnFields"/>; a verbatim schema's
    /// tool checks its arguments itself in <see cref="ValidateOwn"/>.
    /// </summary>
    protected virtual string? WholeSchema => null;

    /// <inheritdoc />
    public ToolValidation Validate(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            return ToolValidation.Invalid("arguments must be an object");
        }

        if (WholeSchema is null && Fields.Validate(arguments) is { } error)
        {
            return ToolValidation.Invalid(error);
        }

        return ValidateOwn(new ToolArguments(arguments));
    }

    /// <summary>
    /// After the declared fields were checked: rules across fields (a step number within the total) and the lane to run
    /// in.
    /// </summary>
    protected abstract ToolValidation ValidateOwn(ToolArguments arguments);

    /// <inheritdoc />
    public abstract ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken);

    /// <summary>The call's <c>local_latency_ms</c>, if given.</summary>
    protected static int? LatencyOf(ToolContext context) =>
        new ToolArguments(context.Arguments).Int("local_latency_ms"); // as validated: null is absent, 5.0 is 5

    /// <summary>For tools that answer without a model: honour <c>local_latency_ms</c> so any tool can be made slow in tests.</summary>
    protected static Task SimulateLatencyAsync(ToolContext context, CancellationToken cancellationToken) =>
        LatencyOf(context) is int ms and > 0 ? Task.Delay(ms, cancellationToken) : Task.CompletedTask;

    private byte[] BuildSchema(bool withCommon)
    {
        if (WholeSchema is { } whole)
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetBytes(whole)); // a schema typo fails at startup, not in a client
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOperationException($"{Name}: the input schema must be a JSON object");
            }

            // Written compact: the schema is copied raw into tools/list, and a line break in it would split a stdio message.
            var compact = new System.Buffers.ArrayBufferWriter<byte>(whole.Length);
            using (var writer = new Utf8JsonWriter(compact))
            {
                document.RootElement.WriteTo(writer);
            }

            return compact.WrittenSpan.ToArray();
        }

        return withCommon ? Fields.ToSchema() : new ToolFields(OwnFields).ToSchema();
    }
}
