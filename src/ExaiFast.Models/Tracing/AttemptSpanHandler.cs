using System.Diagnostics;
using System.Runtime.CompilerServices;
using ExaiFast.Core.Tracing;
using Polly;

namespace ExaiFast.Models.Tracing;

/// <summary>
/// A span per HTTP attempt of a model request, below the resilience handler's retries: each attempt's status or
/// failure, its number (<c>http.request.resend_count</c> after the first) and the server it went to. The URL's path and
/// query stay out (a self-hosted server's URL may carry a key), as do all headers.
/// </summary>
internal sealed class AttemptSpanHandler : DelegatingHandler
{
    /// <summary>The request's attempts so far, kept in its resilience context (the same one across retries).</summary>
    internal static readonly ResiliencePropertyKey<StrongBox<int>> AttemptsKey = new("exaifast.attempts");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Activity.Current is null || !ExaiFastTracing.Source.HasListeners())
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false); // not inside a traced model request
        }

        using var span = ExaiFastTracing.Source.StartActivity(request.Method.Method, ActivityKind.Client);
        if (span is not { IsAllDataRequested: true })
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        int attempt = 1;
        if (request.GetResilienceContext() is { } context)
        {
            if (!context.Properties.TryGetValue(AttemptsKey, out var attempts))
            {
                attempts = new StrongBox<int>();
                context.Properties.Set(AttemptsKey, attempts);
            }

            attempt = ++attempts.Value;
        }

        span.SetTag("http.request.method", request.Method.Method);
        span.SetTag("exaifast.attempt", attempt);
        if (attempt > 1)
        {
            span.SetTag("http.request.resend_count", attempt - 1);
        }

        if (request.RequestUri is { } uri)
        {
            span.SetTag("server.address", uri.Host);
            span.SetTag("server.port", uri.Port);
        }

        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            span.SetTag("http.response.status_code", status);
            if (status >= 400)
            {
                span.SetTag("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                span.SetStatus(ActivityStatusCode.Error);
            }

            return response;
        }
        catch (Exception ex)
        {
            string kind = ex is HttpRequestException { HttpRequestError: var error } ? error.ToString() : ex.GetType().Name;
            span.SetTag("error.type", kind);
            span.SetStatus(ActivityStatusCode.Error, kind);
            throw;
        }
    }
}
