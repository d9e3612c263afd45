using System.Globalization;
using ExaiFast.Models.Budgets;
using StackExchange.Redis;

namespace ExaiFast.Redis;

/// <summary>
/// The day's token counts in Redis (<c>REDIS_URL</c>): one hash per UTC day, <c>exaifast:spend:&lt;yyyyMMdd&gt;</c>, with
/// the fields <c>total</c>, <c>p:&lt;provider&gt;</c> and <c>s:&lt;session&gt;</c>, kept two days. Adds are HINCRBYs,
/// so daemons adding at once never lose each other's tokens; a read is one HMGET of three fields, however many
/// sessions the day had.
/// </summary>
internal sealed class RedisSharedSpend(RedisConnection redis) : ISharedSpend
{
    private static readonly TimeSpan Keep = TimeSpan.FromDays(2);

    /// <inheritdoc />
    public bool IsUp => redis.IsUp;

    /// <inheritdoc />
    public async Task<(long Day, long Provider, long Session)> ReadAsync(DateOnly day, string provider, string? session)
    {
        var values = await redis.Database.HashGetAsync(Key(day), [(RedisValue)"total", "p:" + provider, session is null ? "-" : "s:" + session]).ConfigureAwait(false);
        return (Count(values[0]), Count(values[1]), Count(values[2]));
    }

    /// <inheritdoc />
    public async Task AddAsync(DateOnly day, string provider, string? session, long tokens)
    {
        var key = Key(day);
        var db = redis.Database;
        var adds = new List<Task>(4)
        {
            db.HashIncrementAsync(key, "total", tokens),
            db.HashIncrementAsync(key, "p:" + provider, tokens),
        };
        if (session is not null)
        {
            adds.Add(db.HashIncrementAsync(key, "s:" + session, tokens));
        }

        adds.Add(db.KeyExpireAsync(key, Keep));
        await Task.WhenAll(adds).ConfigureAwait(false);
    }

    private static RedisKey Key(DateOnly day) => "exaifast:spend:" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static long Count(RedisValue value) => value.TryParse(out long count) ? count : 0;
}
