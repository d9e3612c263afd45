using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The conformance suite's <c>json-schema-2020-12</c> (SEP-1613): <c>tools/list</c> must keep the tool's JSON Schema
/// 2020-12 keywords — <c>$schema</c>, <c>$defs</c>, <c>additionalProperties: false</c> — verbatim.
/// </summary>
/// <remarks>
/// The schema is the suite's, whole: it declares no <c>stream</c> or <c>local_latency_ms</c>, so arguments other than
/// <c>name</c> and <c>address</c> are refused, as <c>additionalProperties: false</c> says.
/// </remarks>
internal sealed class JsonSchema202012Tool : ToolBase
{
    /// <inheritdoc />
    public override string Name => "json_schema_2020_12_tool";

    /// <inheritdoc />
    public override string Description => "Tool with JSON Schema 2020-12 features";

    /// <inheritdoc />
    protected override string WholeSchema => """
        {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
        "$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
        "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"}},
        "additionalProperties":false}
        """;

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments)
    {
        foreach (var property in arguments.Json.EnumerateObject())
        {
            bool ok = property.Name switch
            {
                "name" => property.Value.ValueKind == JsonValueKind.String,
                "address" => IsAddress(property.Value),
                _ => false,
            };
            if (!ok)
            {
                return ToolValidation.Invalid(property.Name is "name" or "address"
                    ? $"'{property.Name}' does not match the schema"
                    : $"'{property.Name}' is not allowed (additionalProperties: false)");
            }
        }

        return ToolValidation.RunIn("local");
    }

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ToolOutput($"json_schema_2020_12_tool called with {context.Arguments.GetRawText()}"));

    private static bool IsAddress(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (property.Name is "street" or "city" && property.Value.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }

        return true;
    }
}
