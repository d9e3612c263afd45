using ExaiFast.Models;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace ExaiFast.Hosting;

/// <summary>
/// Providers in /metrics (requests, token usage and errors per provider and model, latency, breaker state), and a
/// warning in the log per failed request.
/// </summary>
/// <remarks>
/// Labels are provider and model names from the registry and failure kinds from an enum — never a key, URL or message.
/// The breaker gauge is read from the providers just before each scrape. The log line names the kind of failure, not
/// its message (the caller has that), so nothing an upstream sent can reach the log.
/// </remarks>
internal sealed partial class ProviderMetrics : IProviderObserver
{
    private readonly Counter _requests;
    private readonly Counter _tokens;
    private readonly Counter _errors;
    private readonly Histogram _latency;
    private readonly ILogger _logger;

    public ProviderMetrics(CollectorRegistry registry, Func<ProviderRegistry> providers, ILogger logger)
    {
        _logger = logger;
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _requests = f.CreateCounter("exaifast_provider_requests_total", "Model requests answered, by provider and model.", "provider", "model");
        _tokens = f.CreateCounter("exaifast_provider_tokens_total", "Tokens used, by provider, model and kind (prompt, completion).", "provider", "model", "kind");
        _errors = f.CreateCounter("exaifast_provider_errors_total", "Model requests failed, by provider, model and kind.", "provider", "model", "kind");
        _latency = f.CreateHistogram("exaifast_provider_latency_seconds", "Time of answered model requests, by provider.",
            new HistogramConfiguration { LabelNames = ["provider"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 15) });
        var breaker = f.CreateGauge("exaifast_provider_breaker_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open.", "provider");
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (var provider in providers().All)
            {
                breaker.WithLabels(provider.Name).Set((int)provider.State);
            }
        });
    }

    public void OnCompleted(string provider, string model, TokenUsage? usage, TimeSpan elapsed)
    {
        _requests.WithLabels(provider, model).Inc();
        _latency.WithLabels(provider).Observe(elapsed.TotalSeconds);
        if (usage is { } u)
        {
            _tokens.WithLabels(provider, model, "prompt").Inc(u.PromptTokens);
            _tokens.WithLabels(provider, model, "completion").Inc(u.CompletionTokens);
        }
    }

    public void OnFailed(string provider, string model, ProviderFailure failure)
    {
        _errors.WithLabels(provider, model, failure.ToString()).Inc();
        Log.ProviderFailed(_logger, provider, model, failure);
    }

    // Polly's own telemetry is not wired to the breaker (it wraps whole calls, outside the HTTP client): this is its line.
    public void OnBreakerOpened(string provider, TimeSpan breakDuration) => Log.BreakerOpened(_logger, provider, breakDuration.TotalSeconds);

    private static partial class Log
    {
        [LoggerMessage(301, LogLevel.Error, "Provider {Provider}'s circuit breaker opened after repeated failures: its calls are refused for {BreakSecs} s")]
        public static partial void BreakerOpened(ILogger logger, string provider, double breakSecs);

        [LoggerMessage(300, LogLevel.Warning, "Provider {Provider} failed a request for {Model}: {Failure}")]
        public static partial void ProviderFailed(ILogger logger, string provider, string model, ProviderFailure failure);
    }
}
