using System.Net;
using ExaiFast.Models.Tracing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace ExaiFast.Models.OpenAICompatible;

/// <summary>
/// Registers a provider's named <see cref="HttpClient"/>: pooled connections and a resilience handler of retry →
/// time-to-headers timeout (Microsoft.Extensions.Http.Resilience over Polly).
/// </summary>
/// <remarks>
/// The circuit breaker is not here but in <see cref="OpenAICompatibleProvider"/>, around whole calls: inside this handler
/// it saw each retry attempt as a failure of its own, and never saw a stream that failed after its headers.
/// </remarks>
public static class ProviderHttp
{
    /// <summary>Registers the client of <paramref name="options"/> (<see cref="OpenAICompatibleOptions.HttpClientName"/>).</summary>
    public static IServiceCollection AddProviderHttpClient(this IServiceCollection services, OpenAICompatibleOptions options)
    {
        var resilience = options.Resilience;
        var http = services.AddHttpClient(options.HttpClientName, client =>
            {
                // Our own deadlines (headers, idle, total, the call's) end requests; HttpClient's single timeout would
                // cut a long stream that is still making progress.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = 16 * 1024 * 1024;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5), // DNS changes are seen; the factory's handler rotation is then not needed
                ConnectTimeout = options.Timeouts.Headers,
                AutomaticDecompression = DecompressionMethods.All,
                UseProxy = true,
            })
            .RemoveAllLoggers() // the factory's request logging is not ours to vouch for (URLs, headers); our errors say what failed
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        http.AddResilienceHandler(options.HttpClientName, pipeline =>
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, resilience.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = resilience.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(resilience.MaxRetries > 0 && ShouldRetry(args)),
            });
            pipeline.AddTimeout(options.Timeouts.Headers);
        });

        // Added after the resilience handler, so inside it: one span per attempt, not per request.
        http.AddHttpMessageHandler(() => new AttemptSpanHandler());
        return services;
    }

    /// <summary>
    /// Retries only what another attempt can fix — connect failures, 408, 429 and 5xx — and never when the server's
    /// Retry-After would end past the call's deadline (the caller then gets the status and retry_after at once).
    /// </summary>
    private static bool ShouldRetry(RetryPredicateArguments<HttpResponseMessage> args)
    {
        var outcome = args.Outcome;
        if (outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
        {
            return true;
        }

        if (outcome.Result is not { } response)
        {
            return false; // timeouts (no answer in time is not made better by asking again), resets, an open breaker
        }

        int status = (int)response.StatusCode;
        if (status is not (408 or 429) && status < 500)
        {
            return false;
        }

        if (response.Headers.RetryAfter is { } retryAfter && args.Context.Properties.TryGetValue(OpenAICompatibleProvider.DeadlineKey, out long deadline))
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
            var left = TimeProvider.System.GetElapsedTime(TimeProvider.System.GetTimestamp(), deadline);
            if (wait >= left)
            {
                return false;
            }
        }

        return true;
    }
}
