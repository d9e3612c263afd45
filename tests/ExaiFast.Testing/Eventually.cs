namespace ExaiFast.Testing;

/// <summary>Waiting for something that happens asynchronously (a reconnect, a metric, a log line) without a timed assertion.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds, failing after a generous deadline (never a timed assertion).</summary>
    public static async Task Until(Func<Task<bool>> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within the deadline");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
