using ExaiFast.Models;
using Microsoft.Extensions.Time.Testing;

namespace ExaiFast.Models.Tests;

/// <summary>
/// The state machine of one deployment's circuit breaker, on a fake clock: it opens on N failures in a row or on the
/// failure ratio, whichever comes first; refuses with the time left of its break; then lets exactly one probe through,
/// whose success closes it and whose failure opens it again. (Through the daemon and a real HTTP server: the
/// DeploymentBreakerDaemonTests.)
/// </summary>
public class DeploymentBreakerTests
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(30);

    // The ratio out of reach (1000 calls) unless a test lowers it, so that the count alone is tested.
    private static ProviderResilience Options(int consecutive = 5, int minThroughput = 1000, double ratio = 0.5) =>
        ProviderResilience.Default with { ConsecutiveFailures = consecutive, MinimumThroughput = minThroughput, FailureRatio = ratio, BreakDuration = Break };

    private static bool Fail(DeploymentBreaker breaker)
    {
        var pass = breaker.TryEnter(out _);
        Assert.NotEqual(BreakerPass.Refused, pass);
        return breaker.Failed(pass);
    }

    private static void Succeed(DeploymentBreaker breaker)
    {
        var pass = breaker.TryEnter(out _);
        Assert.NotEqual(BreakerPass.Refused, pass);
        breaker.Succeeded(pass);
    }

    [Fact]
    public void FiveFailuresInARow_OpenIt_HoweverFarApart()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(), time);
        for (int i = 0; i < 4; i++)
        {
            Assert.False(Fail(breaker));
            time.Advance(TimeSpan.FromMinutes(5)); // each failure alone in any sampling window
        }

        Assert.Equal(ProviderState.Closed, breaker.State);
        Assert.True(Fail(breaker));
        Assert.Equal(ProviderState.Open, breaker.State);
        Assert.Equal(BreakerPass.Refused, breaker.TryEnter(out var retryAfter));
        Assert.Equal(Break, retryAfter);
    }

    [Fact]
    public void ASuccess_StartsTheCountAgain()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(), time);
        for (int i = 0; i < 4; i++)
        {
            Assert.False(Fail(breaker));
        }

        Succeed(breaker);
        for (int i = 0; i < 4; i++)
        {
            Assert.False(Fail(breaker));
        }

        Assert.Equal(ProviderState.Closed, breaker.State);
        Assert.True(Fail(breaker));
    }

    [Fact]
    public void TheRatio_OpensItBeforeTheCount_WhenItComesFirst()
    {
        // 50% of at least 4: success, failure, success, failure opens it, two failures in a row.
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(minThroughput: 4), time);
        Succeed(breaker);
        Assert.False(Fail(breaker));
        Succeed(breaker);
        Assert.True(Fail(breaker));
        Assert.Equal(ProviderState.Open, breaker.State);
    }

    [Fact]
    public void TheRatio_CountsOnlyItsWindow()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(minThroughput: 4), time);
        Assert.False(Fail(breaker));
        Assert.False(Fail(breaker));
        Assert.False(Fail(breaker));
        // The three failures leave the 30 s window. 34 s, not 30: the window's ten 3 s buckets are reused in turn, and
        // 11 or 12 buckets later the old failures still sit in a bucket of their own, left out by its age alone.
        time.Advance(TimeSpan.FromSeconds(34));
        Succeed(breaker);
        Succeed(breaker);
        Succeed(breaker);
        Assert.False(Fail(breaker)); // 1 of 4 in the window; and a success broke the run
        Assert.Equal(ProviderState.Closed, breaker.State);
    }

    [Fact]
    public void AfterTheBreak_OneProbeGoes_OthersWait_AndItsSuccessClosesIt()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(consecutive: 1), time);
        Assert.True(Fail(breaker));
        time.Advance(Break - TimeSpan.FromSeconds(10));
        Assert.Equal(BreakerPass.Refused, breaker.TryEnter(out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(10), retryAfter);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(ProviderState.HalfOpen, breaker.State);
        var probe = breaker.TryEnter(out _);
        Assert.Equal(BreakerPass.Probe, probe);
        Assert.Equal(BreakerPass.Refused, breaker.TryEnter(out retryAfter)); // one probe at a time
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);

        breaker.Succeeded(probe);
        Assert.Equal(ProviderState.Closed, breaker.State);
        Assert.Equal(BreakerPass.Call, breaker.TryEnter(out _));
    }

    [Fact]
    public void AFailedProbe_OpensItAgain_ForAWholeBreak()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(), time);
        for (int i = 0; i < 5; i++)
        {
            Fail(breaker);
        }

        time.Advance(Break);
        var probe = breaker.TryEnter(out _);
        Assert.Equal(BreakerPass.Probe, probe);
        Assert.True(breaker.Failed(probe)); // one failure is enough in half-open
        Assert.Equal(ProviderState.Open, breaker.State);
        Assert.Equal(BreakerPass.Refused, breaker.TryEnter(out var retryAfter));
        Assert.Equal(Break, retryAfter);
    }

    [Fact]
    public void AnAbandonedProbe_LetsTheNextCallProbe()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(consecutive: 1), time);
        Fail(breaker);
        time.Advance(Break);
        breaker.Abandoned(breaker.TryEnter(out _)); // the caller cancelled: says nothing of the model
        Assert.Equal(ProviderState.HalfOpen, breaker.State);
        Assert.Equal(BreakerPass.Probe, breaker.TryEnter(out _));
    }

    [Fact]
    public void CallsLetInBeforeItOpened_NeitherCloseItNorLengthenTheBreak()
    {
        var time = new FakeTimeProvider();
        var breaker = new DeploymentBreaker(Options(consecutive: 1), time);
        var early = breaker.TryEnter(out _);
        var late = breaker.TryEnter(out _);
        Assert.True(Fail(breaker));
        time.Advance(TimeSpan.FromSeconds(10));
        breaker.Succeeded(early);
        Assert.False(breaker.Failed(late));
        Assert.Equal(ProviderState.Open, breaker.State);
        Assert.Equal(TimeSpan.FromSeconds(20), breaker.RetryAfter);
    }

    [Fact]
    public void Used_OnlyOnceACallWasLetThrough()
    {
        var breaker = new DeploymentBreaker(Options(), new FakeTimeProvider());
        Assert.False(breaker.Used);
        breaker.Abandoned(breaker.TryEnter(out _));
        Assert.True(breaker.Used);
    }
}
