using System.Globalization;
using ExaiFast.Core.Tools;

namespace ExaiFast.Models.Budgets;

/// <summary>
/// Counts the tokens model requests use against <see cref="TokenBudgets"/> and refuses, before it is sent, a request
/// that would pass one: checked with an estimate from the request's size (<see cref="Estimate"/>), charged with what
/// the provider reports. Daily budgets reset at 00:00 UTC.
/// </summary>
/// <remarks>
/// Requests in flight together are each checked against what is spent so far, so they can pass a budget by at most
/// what they use: a budget bounds spend, it does not reserve it. Per-session counts live for the day; a session is a
/// client's connection (or MCP HTTP session), so a client that reconnects starts a new one.
/// </remarks>
public sealed class SpendLedger
{
    /// <summary>Characters per token of the estimate: about four for English text and code with the tokenizers of
    /// today's models (fewer for Chinese, so the estimate then runs low; the reported usage is what is charged).</summary>
    public const int CharsPerToken = 4;

    private readonly TokenBudgets _budgets;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _providers = new(StringComparer.OrdinalIgnoreCase);
    private DateOnly _day;
    private long _total;

    /// <summary>Creates the ledger of <paramref name="budgets"/>, its days told by <paramref name="time"/>.</summary>
    public SpendLedger(TokenBudgets budgets, TimeProvider? time = null)
    {
        _budgets = budgets;
        _time = time ?? TimeProvider.System;
        _day = Today();
    }

    /// <summary>The budgets in force.</summary>
    public TokenBudgets Budgets => _budgets;

    /// <summary>Tokens used today, daemon-wide.</summary>
    public long UsedToday
    {
        get
        {
            lock (_gate)
            {
                Roll();
                return _total;
            }
        }
    }

    /// <summary>The tokens a request's messages are estimated to take: their characters over <see cref="CharsPerToken"/>.</summary>
    public static long Estimate(ModelRequest request)
    {
        long chars = 0;
        foreach (var message in request.Messages)
        {
            chars += message.Text.Length;
        }

        return (chars + CharsPerToken - 1) / CharsPerToken;
    }

    /// <summary>Throws <see cref="BudgetExceededException"/> when <paramref name="estimate"/> more tokens would pass a budget.</summary>
    public void Check(string provider, CallSpend? spend, long estimate)
    {
        if (_budgets.PerCall > 0 && spend is not null && spend.Tokens + estimate > _budgets.PerCall)
        {
            throw new BudgetExceededException(
                $"the per-call token budget (EXAIFAST_MAX_TOKENS_PER_CALL={N(_budgets.PerCall)}) would be passed: this call has used {N(spend.Tokens)} tokens " +
                $"and its next model request is estimated at {N(estimate)}; it does not reset: ask for less (a shorter prompt, fewer or smaller files)", null);
        }

        lock (_gate)
        {
            Roll();
            if (_budgets.PerDay > 0)
            {
                Within("the daily token budget (EXAIFAST_MAX_TOKENS_PER_DAY", _budgets.PerDay, _total, estimate);
            }

            if (_budgets.PerProviderPerDay.TryGetValue(provider, out long perProvider) && perProvider > 0)
            {
                Within($"{provider}'s daily token budget (EXAIFAST_MAX_TOKENS_PER_DAY_BY_PROVIDER {provider}", perProvider, _providers.GetValueOrDefault(provider), estimate);
            }

            if (_budgets.PerSessionPerDay > 0 && spend is not null)
            {
                Within("this session's daily token budget (EXAIFAST_MAX_TOKENS_PER_SESSION_PER_DAY", _budgets.PerSessionPerDay, _sessions.GetValueOrDefault(spend.SessionId), estimate);
            }
        }
    }

    /// <summary>Charges <paramref name="tokens"/> that a request of <paramref name="provider"/> used.</summary>
    public void Charge(string provider, CallSpend? spend, long tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        spend?.Add(tokens);
        lock (_gate)
        {
            Roll();
            _total += tokens;
            _providers[provider] = _providers.GetValueOrDefault(provider) + tokens;
            if (spend is not null && _budgets.PerSessionPerDay > 0)
            {
                _sessions[spend.SessionId] = _sessions.GetValueOrDefault(spend.SessionId) + tokens;
            }
        }
    }

    private void Within(string budget, long limit, long used, long estimate)
    {
        if (used + estimate <= limit)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var reset = new DateTimeOffset(_day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        double seconds = Math.Ceiling((reset - now).TotalSeconds);
        long left = Math.Max(0, limit - used);
        throw new BudgetExceededException(
            $"{budget}={N(limit)}) would be passed: {N(left)} tokens are left today and this model request is estimated at {N(estimate)}; " +
            $"it resets at 00:00 UTC, in {TimeSpan.FromSeconds(seconds):h\\hmm\\m}", seconds);
    }

    // Under the gate: a new UTC day starts every daily count again.
    private void Roll()
    {
        var today = Today();
        if (today != _day)
        {
            _day = today;
            _total = 0;
            _providers.Clear();
            _sessions.Clear();
        }
    }

    private DateOnly Today() => DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
