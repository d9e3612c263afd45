using ExaiFast.Configuration;
using ExaiFast.Core.Tracing;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ExaiFast.Hosting;

/// <summary>
/// The OpenTelemetry SDK listening to <see cref="ExaiFastTracing.Source"/> and exporting over OTLP, when an endpoint is
/// configured. Disposed by the host after the server has drained, which flushes the last calls' spans.
/// </summary>
internal static class TraceExport
{
    public static TracerProvider Create(TracingSettings settings, Uri endpoint, string version)
    {
        // A client that sends a traceparent decides for its calls; the ratio decides for the others — before a call's
        // span is made (ExaiFastTracing.Start), so what reaches the SDK is to be recorded: its model requests' spans
        // start only under a recorded call's.
        ExaiFastTracing.SampleRatio = settings.SampleRatio;
        return Sdk.CreateTracerProviderBuilder()
            .AddSource(ExaiFastTracing.SourceName)
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(settings.ServiceName, serviceVersion: version))
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
            .AddOtlpExporter(o =>
            {
                o.Protocol = settings.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                o.Endpoint = settings.HttpProtobuf ? TracesUrl(endpoint) : endpoint;
                if (settings.Headers.Length > 0)
                {
                    o.Headers = settings.Headers;
                }
            })
            .Build();
    }

    // OTEL_EXPORTER_OTLP_ENDPOINT is a base URL to which each signal adds its path; an endpoint set in code is used as
    // it is, so the path is added here (unless the operator gave the full traces URL already).
    private static Uri TracesUrl(Uri endpoint)
    {
        string url = endpoint.AbsoluteUri;
        return url.EndsWith("/v1/traces", StringComparison.Ordinal) ? endpoint : new Uri(url.TrimEnd('/') + "/v1/traces");
    }
}
