using System.Globalization;
using ExaiFast.Core.Tools;

namespace ExaiFast.Models.Budgets;

/// <summary>
/// Counts the tokens model requests use against <see cref="TokenBudgets"/> and refuses, before it is sent, a request
/// that would pass one: checked with an estimate from the request's size (<see cref="Estimate"/>), charged with what
/// the provider reports. Daily budgets reset at 00:00 UTC.
/// </summary>
/// <remarks>
/// <para>Requests in flight together are each checked against what is spent so far, so they can pass a budget by at most
/// what they use: a budget bounds spend, it does not reserve it. Per-session counts live for the day; a session is a
/// client's connection (or MCP HTTP session), so a client that reconnects starts a new one.</para>
/// <para>With a shared store (<see cref="ISharedSpend"/>, Redis) each check first reads the day's shared counts and
/// each charge is added to them, so daemons behind one proxy spend one budget and a restart goes on from what was
/// spent. While the store cannot be reached (or answers slowly) the daemon counts on its own and charges only its
/// own count: a budget then bounds each daemon, not all of them together.</para>
/// </remarks>
public sealed class SpendLedger
{
    /// <summary>Characters per token of the estimate: about four for English text and code with the tokenizers of
    /// today's models (fewer for Chinese, so the estimate then runs low; the reported usage is what is charged).</summary>
    public const int CharsPerToken = 4;

    // A read of the shared counts slower than this is not waited for: the request is checked against the local counts.
    private static readonly TimeSpan SharedReadTimeout = TimeSpan.FromSeconds(1);

    private readonly TokenBudgets _budgets;
    private readonly TimeProvider _time;
    private readonly ISharedSpend? _shared;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _providers = new(StringComparer.OrdinalIgnoreCase);
    private DateOnly _day;
    private long _total;

    /// <summary>Creates the ledger of <paramref name="budgets"/>, its days told by <paramref name="time"/>, counting
    /// with the daemons that share <paramref name="shared"/> (null: alone).</summary>
    public SpendLedger(TokenBudgets budgets, TimeProvider? time = null, ISharedSpend? shared = null)
    {
        _budgets = budgets;
        _shared = shared;
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

    /// <summary>Tokens <paramref name="provider"/>'s requests used today.</summary>
    public long UsedTodayBy(string provider)
    {
        lock (_gate)
        {
            Roll();
            return _providers.GetValueOrDefault(provider);
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

    /// <summary>
    /// Throws <see cref="BudgetExceededException"/> when <paramref name="estimate"/> more tokens would pass a budget,
    /// after reading the day's shared counts when there are daily budgets and a shared store.
    /// </summary>
    public async ValueTask CheckAsync(string provider, CallSpend? spend, long estimate)
    {
        if (_shared is { IsUp: true } && (_budgets.PerDay > 0 || _budgets.PerProviderPerDay.Count > 0 || _budgets.PerSessionPerDay > 0))
        {
            var day = Day;
            try
            {
                var (total, ofProvider, ofSession) = await _shared.ReadAsync(day, provider, _budgets.PerSessionPerDay > 0 ? spend?.Caller : null)
                    .WaitAsync(SharedReadTimeout, _time).ConfigureAwait(false);
                Raise(day, provider, spend?.Caller, total, ofProvider, ofSession);
            }
            catch (Exception)
            {
                // Unreachable, failing or slow: checked against this daemon's own counts.
            }
        }

        Check(provider, spend, estimate);
    }

    /// <summary>Throws <see cref="BudgetExceededException"/> when <paramref name="estimate"/> more tokens would pass a
    /// budget by this daemon's counts.</summary>
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
                Within("this session's daily token budget (EXAIFAST_MAX_TOKENS_PER_SESSION_PER_DAY", _budgets.PerSessionPerDay, _sessions.GetValueOrDefault(spend.Caller), estimate);
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
        string? session = spend is not null && _budgets.PerSessionPerDay > 0 ? spend.Caller : null;
        DateOnly day;
        lock (_gate)
        {
            Roll();
            day = _day;
            _total += tokens;
            _providers[provider] = _providers.GetValueOrDefault(provider) + tokens;
            if (session is not null)
            {
                _sessions[session] = _sessions.GetValueOrDefault(session) + tokens;
            }
        }

        if (_shared is { IsUp: true })
        {
            _ = ShareAsync(_shared, day, provider, session, tokens); // the answer does not wait for Redis
        }
    }

    private static async Task ShareAsync(ISharedSpend shared, DateOnly day, string provider, string? session, long tokens)
    {
        try
        {
            await shared.AddAsync(day, provider, session, tokens).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Redis went away meanwhile: this daemon's own count has the tokens, the shared one misses them.
        }
    }

    // The shared counts include this daemon's (it added them): they replace the local ones when higher.
    private void Raise(DateOnly day, string provider, string? session, long total, long ofProvider, long ofSession)
    {
        lock (_gate)
        {
            Roll();
            if (day != _day)
            {
                return; // read across midnight: yesterday's counts
            }

            _total = Math.Max(_total, total);
            _providers[provider] = Math.Max(_providers.GetValueOrDefault(provider), ofProvider);
            if (session is not null)
            {
                _sessions[session] = Math.Max(_sessions.GetValueOrDefault(session), ofSession);
            }
        }
    }

    private DateOnly Day
    {
        get
        {
            lock (_gate)
            {
                Roll();
                return _day;
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
