using ExaiFast.Core.Tools;
using ExaiFast.Models;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace ExaiFast.Metrics;

/// <summary>
/// Providers in /metrics (requests, token usage and errors per provider and model, latency, breaker state per provider
/// and per deployment, breaker openings), and a warning in the log per failed request.
/// </summary>
/// <remarks>
/// Labels are provider and model names from the registry and failure kinds from an enum — never a key, URL or message.
/// The breaker gauges are read from the providers just before each scrape. The log line names the kind of failure, not
/// its message (the caller has that), so nothing an upstream sent can reach the log.
/// </remarks>
internal sealed partial class ProviderMetrics : IProviderObserver, ITokenUsage
{
    private static readonly Comparer<(string Provider, string Model)> s_byName = Comparer<(string Provider, string Model)>.Create(static (a, b) =>
        string.CompareOrdinal(a.Provider, b.Provider) is var c and not 0 ? c : string.CompareOrdinal(a.Model, b.Model));

    private readonly Counter _requests;
    private readonly Counter _tokens;
    private readonly Counter _errors;
    private readonly Histogram _latency;
    private readonly Counter _breakerOpened;
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
        var breaker = f.CreateGauge("exaifast_provider_breaker_state",
            "Circuit breakers per provider: 0 closed, 1 half-open, 2 open (only when every deployment of it that has been used is open).", "provider");
        var deployment = f.CreateGauge("exaifast_deployment_breaker_state",
            "Circuit breaker per deployment (provider and model) that has been used: 0 closed, 1 half-open, 2 open.", "provider", "model");
        _breakerOpened = f.CreateCounter("exaifast_deployment_breaker_opened_total",
            "Times a deployment's circuit breaker opened, a failed probe's re-opening included.", "provider", "model");
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (var provider in providers().All)
            {
                breaker.WithLabels(provider.Name).Set((int)provider.State);
                foreach (var d in provider.Deployments)
                {
                    deployment.WithLabels(provider.Name, d.Model).Set((int)d.State);
                }
            }
        });
    }

    /// <summary>Each deployment's requests and tokens so far, read from the counters (the dashboard), by provider and model.</summary>
    public IReadOnlyList<ModelUsage> Usage()
    {
        var rows = new SortedDictionary<(string Provider, string Model), long[]>(s_byName);
        long[] Row(string[] labels) =>
            rows.TryGetValue((labels[0], labels[1]), out var row) ? row : rows[(labels[0], labels[1])] = new long[4];

        foreach (var labels in _requests.GetAllLabelValues())
        {
            Row(labels)[0] += (long)_requests.WithLabels(labels).Value;
        }

        foreach (var labels in _errors.GetAllLabelValues())
        {
            Row(labels)[1] += (long)_errors.WithLabels(labels).Value;
        }

        foreach (var labels in _tokens.GetAllLabelValues())
        {
            Row(labels)[labels[2] == "prompt" ? 2 : 3] += (long)_tokens.WithLabels(labels).Value;
        }

        return [.. rows.Select(r => new ModelUsage(r.Key.Provider, r.Key.Model, r.Value[0], r.Value[1], r.Value[2], r.Value[3]))];
    }

    public IReadOnlyList<ModelTokens> SinceStart() =>
        [.. Usage().Where(u => u.PromptTokens + u.CompletionTokens > 0).Select(u => new ModelTokens(u.Provider, u.Model, u.PromptTokens, u.CompletionTokens))];

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

    public void OnFailed(string provider, string model, ProviderFailure failure, CallSpend? spend)
    {
        _errors.WithLabels(provider, model, failure.ToString()).Inc();

        // The call's fields are read off the call itself: references, no copy and no allocation for a line not written.
        var call = spend?.Call;
        Log.ProviderFailed(_logger, provider, model, failure, call?.RequestId, call?.Caller, call?.ToolName, call?.Lane);
    }

    // The breakers are the providers' own (around whole calls, outside the HTTP client's Polly pipeline): this is their line.
    public void OnBreakerOpened(string provider, string model, TimeSpan breakDuration)
    {
        _breakerOpened.WithLabels(provider, model).Inc();
        Log.BreakerOpened(_logger, provider, model, breakDuration.TotalSeconds);
    }

    private static partial class Log
    {
        // A warning, not an error: an upstream failing is what the breaker is for, and the daemon goes on answering.
        [LoggerMessage(301, LogLevel.Warning, "Provider {Provider}'s circuit breaker for {Model} opened after repeated failures: its calls to that model are refused for {BreakSecs} s")]
        public static partial void BreakerOpened(ILogger logger, string provider, string model, double breakSecs);

        // The call's fields are null for a request made outside a call.
        [LoggerMessage(300, LogLevel.Warning, "Provider {Provider} failed a request for {Model}: {Failure} (call {RequestId} of session {SessionId}: {Tool} in lane {Lane})")]
        public static partial void ProviderFailed(ILogger logger, string provider, string model, ProviderFailure failure, string? requestId, string? sessionId, string? tool, string? lane);
    }
}
