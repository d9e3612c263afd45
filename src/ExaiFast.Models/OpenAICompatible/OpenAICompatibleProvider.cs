using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Models.Budgets;
using ExaiFast.Models.Tracing;
using Polly;
using Polly.Timeout;

namespace ExaiFast.Models.OpenAICompatible;

/// <summary>
/// A chat-completions client for any OpenAI-compatible API (<c>POST {base}/chat/completions</c>, Bearer key, answers
/// streamed as server-sent events): Kimi, GLM, Ollama, vLLM, llama.cpp's server, OpenRouter.
/// </summary>
/// <remarks>
/// Thread-safe; created once by the composition root. Its <see cref="HttpClient"/> comes from
/// <see cref="IHttpClientFactory"/> (pooled connections) with a resilience handler (<see cref="ProviderHttp"/>): retries
/// and the time-to-headers deadline. The idle and total deadlines are kept here, where the stream is read, and so is a
/// circuit breaker per model (<see cref="DeploymentBreaker"/>): one model of a server failing every call opens its own
/// breaker, however well the server's other models answer. Every failure leaves as a <see cref="ProviderException"/>
/// that names the provider and what went wrong, and never the key or the upstream body.
/// </remarks>
public sealed partial class OpenAICompatibleProvider : IModelProvider
{
    /// <summary>The call's deadline (a <see cref="TimeProvider"/> timestamp), read by the retry strategy.</summary>
    internal static readonly ResiliencePropertyKey<long> DeadlineKey = new("exaifast.deadline");

    private readonly OpenAICompatibleOptions _options;
    private readonly IHttpClientFactory _http;

    // One breaker per configured model, made here and never added to (no lazy creation on the call path); a name outside
    // the list — which the registry never routes here — shares _unlisted, so no caller can grow the table.
    private readonly (ModelSpec Model, DeploymentBreaker Breaker)[] _deployments;
    private readonly Dictionary<string, DeploymentBreaker> _breakers;
    private readonly DeploymentBreaker _unlisted;
    private readonly TimeProvider _time;
    private readonly IProviderObserver? _observer;
    private readonly SpendLedger? _ledger;
    private readonly Uri _endpoint;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly Dictionary<string, ModelSpec> _byName;

    /// <summary>Creates the provider.</summary>
    /// <param name="options">Its configuration.</param>
    /// <param name="http">The factory its named client (<see cref="OpenAICompatibleOptions.HttpClientName"/>) was registered with.</param>
    /// <param name="time">Clock of the idle and total deadlines and of the circuit breakers.</param>
    /// <param name="observer">Receives usage, failures and breakers opening for /metrics and the log, or null.</param>
    /// <param name="ledger">The token budgets each request is checked against and charged to, or null for none.</param>
    public OpenAICompatibleProvider(OpenAICompatibleOptions options, IHttpClientFactory http, TimeProvider? time = null, IProviderObserver? observer = null,
        SpendLedger? ledger = null)
    {
        _ledger = ledger;
        ArgumentNullException.ThrowIfNull(options);
        if (options.Models.Count == 0)
        {
            throw new ArgumentException($"provider {options.Name} has no models", nameof(options));
        }

        _options = options;
        _http = http;
        _time = time ?? TimeProvider.System;
        _observer = observer;
        _breakers = new Dictionary<string, DeploymentBreaker>(StringComparer.OrdinalIgnoreCase);
        var deployments = new List<(ModelSpec, DeploymentBreaker)>(options.Models.Count);
        foreach (var model in options.Models)
        {
            var breaker = new DeploymentBreaker(options.Resilience, _time);
            if (_breakers.TryAdd(model.Name, breaker))
            {
                deployments.Add((model, breaker));
            }
        }

        _deployments = [.. deployments];
        _unlisted = new DeploymentBreaker(options.Resilience, _time);
        string root = options.BaseUrl.AbsoluteUri.TrimEnd('/');
        _endpoint = new Uri(root + "/chat/completions");
        _authorization = string.IsNullOrEmpty(options.ApiKey) ? null : new AuthenticationHeaderValue("Bearer", options.ApiKey);
        _byName = new Dictionary<string, ModelSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in options.Models)
        {
            _byName.TryAdd(model.Name, model);
        }

        foreach (var model in options.Models)
        {
            foreach (string alias in model.Aliases)
            {
                _byName.TryAdd(alias, model);
            }
        }
    }

    /// <inheritdoc />
    public string Name => _options.Name;

    /// <inheritdoc />
    public IReadOnlyList<ModelSpec> Models => _options.Models;

    /// <inheritdoc />
    public ModelAllowList? AllowList => _options.AllowList;

    /// <inheritdoc />
    public ProviderState State
    {
        get
        {
            bool used = false;
            bool halfOpen = false;
            foreach (var (_, breaker) in _deployments)
            {
                if (!breaker.Used)
                {
                    continue;
                }

                used = true;
                switch (breaker.State)
                {
                    case ProviderState.Closed:
                        return ProviderState.Closed;
                    case ProviderState.HalfOpen:
                        halfOpen = true;
                        break;
                }
            }

            // Nothing used yet: nothing has failed, so up. Otherwise down only when every deployment that was asked is open.
            return !used ? ProviderState.Closed : halfOpen ? ProviderState.HalfOpen : ProviderState.Open;
        }
    }

    /// <inheritdoc />
    public ProviderState StateOf(ModelSpec model) => BreakerOf(model).State;

    /// <inheritdoc />
    public IReadOnlyList<DeploymentState> Deployments
    {
        get
        {
            var list = new List<DeploymentState>();
            foreach (var (model, breaker) in _deployments)
            {
                if (breaker.Used)
                {
                    list.Add(new DeploymentState(model.Name, breaker.State, breaker.RetryAfter));
                }
            }

            return list;
        }
    }

    /// <summary>The model <paramref name="name"/> (a name or alias), or the default for null.</summary>
    public ModelSpec Resolve(string? name) =>
        name is null ? _options.Models[0] : _byName.TryGetValue(name, out var spec) ? spec : new ModelSpec(name, 0, ModelCapabilities.None);

    /// <inheritdoc />
    public async ValueTask<ModelResponse> CompleteAsync(ModelRequest request, Action<string>? onToken, CancellationToken cancellationToken)
    {
        var model = Resolve(request.Model);

        // Before anything is sent, and before the breaker: a budget's refusal is no failure of the deployment.
        long estimate = 0;
        if (_ledger is not null)
        {
            estimate = SpendLedger.Estimate(request);
            await _ledger.CheckAsync(Name, request.Spend, estimate).ConfigureAwait(false);
        }

        var breaker = BreakerOf(model);
        var pass = breaker.TryEnter(out var wait);
        if (pass == BreakerPass.Refused)
        {
            // Before anything is sent: an open deployment costs its caller no request, and the server no load.
            _observer?.OnFailed(Name, model.Name, ProviderFailure.CircuitOpen, request.Spend);
            double retryAfter = Math.Max(1, Math.Ceiling(wait.TotalSeconds));
            throw new ProviderException($"{Name}/{model.Name} is unavailable: its circuit breaker is open after repeated failures; retry in {retryAfter:0} s", unavailable: true, retryAfter, nameof(ProviderFailure.CircuitOpen));
        }

        // The breaker sees the whole call — its retries (inside the HTTP handler) and the reading of its stream — as one
        // outcome: a call that failed after its retries is one failure, and a stream cut, stalled or malformed after the
        // headers is one too. What counts is marked by Fail/Refused; an exception they do not mark (the call's own cancel
        // or deadline, a refused key) leaves the breaker as it was.
        var counted = new StrongBox<bool>();
        bool answered = false;
        using var span = ModelSpan.Start(Name, model.Name);
        try
        {
            var response = await SendAsync(counted, model, request, onToken, cancellationToken).ConfigureAwait(false);
            answered = true;
            _ledger?.Charge(Name, request.Spend, response.Usage is { } used
                ? used.PromptTokens + used.CompletionTokens
                : estimate + (response.Text.Length + SpendLedger.CharsPerToken - 1) / SpendLedger.CharsPerToken); // a server that reports no usage
            if (span is not null)
            {
                ModelSpan.Answered(span, response);
            }

            return response;
        }
        catch (Exception ex) when (span is not null)
        {
            ModelSpan.Failed(span, ex switch
            {
                ProviderException p => p.Failure ?? "ProviderError",
                OperationCanceledException => "Cancelled",
                _ => ex.GetType().Name,
            });
            throw;
        }
        finally
        {
            if (answered)
            {
                breaker.Succeeded(pass);
            }
            else if (!counted.Value)
            {
                breaker.Abandoned(pass);
            }
            else if (breaker.Failed(pass))
            {
                _observer?.OnBreakerOpened(Name, model.Name, _options.Resilience.BreakDuration);
            }
        }
    }

    private DeploymentBreaker BreakerOf(ModelSpec model) => _breakers.TryGetValue(model.Name, out var breaker) ? breaker : _unlisted;

    // One call: the request (with the HTTP handler's retries and time-to-headers deadline) and the reading of its answer,
    // under the idle and total deadlines. Sets counted when it fails in a way that counts against the deployment.
    private async ValueTask<ModelResponse> SendAsync(StrongBox<bool> counted, ModelSpec model, ModelRequest request, Action<string>? onToken, CancellationToken cancellationToken)
    {
        var timeouts = _options.Timeouts;
        long started = _time.GetTimestamp();

        // The total deadline is ours only when it is shorter than what the call has left; otherwise the call's own
        // token ends the request, and the caller reports TIMEOUT rather than a provider error.
        bool totalIsOurs = request.TimeLeft is not TimeSpan left || timeouts.Total < left;
        var budget = totalIsOurs ? timeouts.Total : request.TimeLeft!.Value;

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (totalIsOurs)
        {
            timer.CancelAfter(budget);
        }

        var context = ResilienceContextPool.Shared.Get(timer.Token);
        context.Properties.Set(DeadlineKey, started + (long)(budget.TotalSeconds * _time.TimestampFrequency));
        var body = new ArrayBufferWriter<byte>(ChatPayload.SizeHint(request));
        var splices = HasInPlaceText(request) ? new List<(int At, MessageText Text)>(1) : null;
        ChatPayload.Write(body, _options.Dialect, model, request, splices);
        var content = new ChatRequestContent(body.WrittenMemory, splices ?? []);
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = content };
        message.Content.Headers.ContentType = s_json;
        message.Headers.Accept.Add(s_eventStream);
        message.Headers.Authorization = _authorization;
        if (_options.Dialect == ProviderDialect.Kimi)
        {
            // As the original sent it: one key per call, the same on each of its retries (the resilience handler re-sends
            // a copy of this message), so that an attempt the server did process is not processed — and billed — again.
            message.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, Guid.NewGuid().ToString("N"));
        }

        message.SetResilienceContext(context);

        var stage = CallStage.Headers;
        HttpResponseMessage? response = null;
        var answer = new CompletionAccumulator();
        try
        {
            response = await _http.CreateClient(_options.HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timer.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Refused(counted, model, request.Spend, response);
            }

            stage = CallStage.Body;
            await ReadAnswerAsync(response, answer, onToken, timer, totalIsOurs ? started : 0).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the call's own deadline, cancel or disconnect: the dispatcher says which; not the provider's failure
        }
        catch (OperationCanceledException)
        {
            // The timer counts whole milliseconds on the kernel's coarse clock, so it can fire a few ms before the budget
            // by ours: a deadline within that slack of the budget is the total's (the idle wait is capped by it).
            bool total = totalIsOurs && _time.GetElapsedTime(started) >= budget - s_timerSlack;
            throw total
                ? Fail(counted, model, request.Spend, ProviderFailure.TotalTimeout, $"no complete answer within its total deadline of {Seconds(budget)} s")
                : Fail(counted, model, request.Spend, ProviderFailure.IdleTimeout, $"the answer stalled: nothing for {Seconds(timeouts.Idle)} s after {answer.ContentChunks} chunks");
        }
        catch (TimeoutRejectedException)
        {
            throw Fail(counted, model, request.Spend, ProviderFailure.HeadersTimeout, $"no response within {Seconds(timeouts.Headers)} s");
        }
        catch (HttpRequestException ex) when (stage == CallStage.Headers)
        {
            throw ex.HttpRequestError == HttpRequestError.ConnectionError
                ? Fail(counted, model, request.Spend, ProviderFailure.Connect, $"could not connect to {_options.BaseUrl.Host}:{_options.BaseUrl.Port}")
                : Fail(counted, model, request.Spend, ProviderFailure.ConnectionLost, $"the connection failed before a response ({ex.HttpRequestError})");
        }
        catch (StreamCutException)
        {
            throw Fail(counted, model, request.Spend, ProviderFailure.CutStream, $"the answer's stream ended without [DONE] after {answer.ContentChunks} chunks: it is incomplete");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw Fail(counted, model, request.Spend, ProviderFailure.ConnectionLost, $"the connection broke after {answer.ContentChunks} chunks of the answer");
        }
        catch (JsonException)
        {
            throw Fail(counted, model, request.Spend, ProviderFailure.Malformed, "the response was not a valid chat completion (malformed JSON)");
        }
        finally
        {
            response?.Dispose(); // unread: aborts the connection rather than draining a stream nobody wants
            ResilienceContextPool.Shared.Return(context);

            // The body reads the call's arguments in place: not a byte of it may be read once the call has ended.
            await content.WhenSentAsync().ConfigureAwait(false);
        }

        var elapsed = _time.GetElapsedTime(started);
        _observer?.OnCompleted(Name, model.Name, answer.Usage, elapsed);
        return new ModelResponse(answer.Text, Name, model.Name) { FinishReason = answer.FinishReason, Reasoning = answer.Reasoning, Usage = answer.Usage };
    }

    private static bool HasInPlaceText(ModelRequest request)
    {
        foreach (var message in request.Messages)
        {
            if (message.Text.IsInPlace)
            {
                return true;
            }
        }

        return false;
    }

    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private static readonly TimeSpan s_timerSlack = TimeSpan.FromMilliseconds(50);

    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeWithQualityHeaderValue s_eventStream = new("text/event-stream");

    private ProviderException Refused(StrongBox<bool> counted, ModelSpec model, CallSpend? call, HttpResponseMessage response)
    {
        int status = (int)response.StatusCode;
        if (status is 408 or 429 || status >= 500)
        {
            // What the retries were for, still failing: the provider is in trouble. Other refusals (a bad key, an unknown
            // model, a bad request) are this request's, and say nothing of the provider's health.
            counted.Value = true;
        }

        double? retryAfter = RetryAfterSeconds(response);
        string reason = $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                _observer?.OnFailed(Name, model.Name, ProviderFailure.Unauthorized, call);
                return new ProviderException($"{Name}: {reason}: the API key was refused (check {_options.KeySetting})", failure: nameof(ProviderFailure.Unauthorized));
            case HttpStatusCode.TooManyRequests:
                _observer?.OnFailed(Name, model.Name, ProviderFailure.RateLimited, call);
                return new ProviderException($"{Name}: {reason}: rate limited{(retryAfter is null ? "" : $"; retry in {retryAfter:0.###} s")}", unavailable: true, retryAfter ?? 1, nameof(ProviderFailure.RateLimited));
            case HttpStatusCode.NotFound:
                _observer?.OnFailed(Name, model.Name, ProviderFailure.HttpStatus, call);
                return new ProviderException($"{Name}: {reason}: no such endpoint or model '{model.Name}'", failure: nameof(ProviderFailure.HttpStatus));
            default:
                bool server = status >= 500;
                _observer?.OnFailed(Name, model.Name, server ? ProviderFailure.ServerError : ProviderFailure.HttpStatus, call);
                return new ProviderException(
                    server ? $"{Name}: {reason} after {_options.Resilience.MaxRetries + 1} attempts" : $"{Name}: {reason}: the request was refused",
                    unavailable: server && retryAfter is not null, retryAfter, server ? nameof(ProviderFailure.ServerError) : nameof(ProviderFailure.HttpStatus));
        }
    }

    // Every failure that reaches here is the provider's (timeouts, connections, cut or malformed streams): it counts.
    private ProviderException Fail(StrongBox<bool> counted, ModelSpec model, CallSpend? call, ProviderFailure failure, string what)
    {
        counted.Value = true;
        _observer?.OnFailed(Name, model.Name, failure, call);
        return new ProviderException($"{Name} ({model.Name}): {what}", failure: failure.ToString());
    }

    private double? RetryAfterSeconds(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        return delay is { } d ? Math.Max(0, Math.Round(d.TotalSeconds, 3)) : null;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private enum CallStage
    {
        Headers,
        Body,
    }
}
