namespace ExaiFast.Configuration;

/// <summary>OpenTelemetry trace export (<c>OTEL_EXPORTER_OTLP_*</c>): off unless an endpoint is set.</summary>
internal sealed record TracingSettings
{
    /// <summary>The OTLP collector's base URL (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>); null: no tracing.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Whether spans go as OTLP/HTTP protobuf (<c>http/protobuf</c>, port 4318) rather than gRPC (4317).</summary>
    public bool HttpProtobuf { get; init; } = true;

    /// <summary>Headers sent to the collector (<c>key=value,…</c>, often a vendor's key): a secret.</summary>
    public string Headers { get; init; } = "";

    /// <summary>The <c>service.name</c> of the spans.</summary>
    public string ServiceName { get; init; } = "exaifast";

    /// <summary>The share of calls traced when the client sent no trace context of its own (a client's says itself).</summary>
    public double SampleRatio { get; init; } = 1.0;
}
