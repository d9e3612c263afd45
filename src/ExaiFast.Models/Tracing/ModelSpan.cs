using System.Diagnostics;
using ExaiFast.Core.Tracing;

namespace ExaiFast.Models.Tracing;

/// <summary>
/// The span of one model request — the breaker's check, the HTTP attempts (each a child, <see cref="AttemptSpanHandler"/>)
/// and the reading of the answer — after the OpenTelemetry GenAI conventions (<c>chat {model}</c>,
/// <c>gen_ai.provider.name</c>, <c>gen_ai.request.model</c>, usage). No prompt or answer text goes into it.
/// </summary>
internal static class ModelSpan
{
    /// <summary>Starts it as the current span of the caller's async flow (the provider's own method), so the attempts
    /// find it as their parent; null when nobody listens or the call it is made for is not traced.</summary>
    public static Activity? Start(string provider, string model)
    {
        if (Activity.Current is null || !ExaiFastTracing.Source.HasListeners())
        {
            return null; // every model request is a call's: an untraced call's requests are not traced either
        }

        var span = ExaiFastTracing.Source.StartActivity("chat " + model, ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("gen_ai.operation.name", "chat");
            span.SetTag("gen_ai.provider.name", provider);
            span.SetTag("gen_ai.request.model", model);
        }

        return span;
    }

    public static void Answered(Activity span, in ModelResponse response)
    {
        if (span.IsAllDataRequested)
        {
            span.SetTag("gen_ai.response.model", response.Model);
            if (response.FinishReason is { } finish)
            {
                span.SetTag("gen_ai.response.finish_reasons", new[] { finish });
            }

            if (response.Usage is { } usage)
            {
                span.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
                span.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
            }
        }
    }

    /// <summary>Marks a failure by its kind (a <see cref="ProviderFailure"/> name or the exception's type), never its message.</summary>
    public static void Failed(Activity span, string kind)
    {
        span.SetTag("error.type", kind);
        span.SetStatus(ActivityStatusCode.Error, kind);
    }
}
