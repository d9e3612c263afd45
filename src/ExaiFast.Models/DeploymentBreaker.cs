namespace ExaiFast.Models;

/// <summary>
/// The circuit breaker of one deployment (a provider's model): it opens on <see cref="ProviderResilience.ConsecutiveFailures"/>
/// failed calls in a row or on <see cref="ProviderResilience.FailureRatio"/> of the calls in its sampling window, whichever
/// comes first; refuses for <see cref="ProviderResilience.BreakDuration"/>; then lets one call through at a time as a probe,
/// whose success closes it and whose failure opens it again.
/// </summary>
/// <remarks>
/// <para>
/// Our own state machine rather than Polly's circuit breaker, which the provider used before: Polly v8 has only the
/// ratio breaker (its consecutive-count breaker was dropped, App-vNext/Polly#1444) and its state machine is internal,
/// so a count cannot be added to it. The ways to bolt one on either give up the half-open probe (isolating the circuit
/// by hand and closing it later) or lie to its metrics (replaying synthetic failures until the ratio trips). A breaker
/// per deployment from a <c>ResiliencePipelineRegistry</c> would still be ratio-only: a model that fails every call but
/// is asked fewer than <see cref="ProviderResilience.MinimumThroughput"/> times per window would never open it. This one
/// is a lock and a few counters, driven by a <see cref="TimeProvider"/> so that its tests need no waiting.
/// </para>
/// <para>
/// Thread-safe. Every <see cref="TryEnter"/> that admits a call must be matched by exactly one of
/// <see cref="Succeeded"/>, <see cref="Failed"/> or <see cref="Abandoned"/> with what it returned: a probe that is never
/// reported would keep the deployment half-open, refusing, for good.
/// </para>
/// </remarks>
internal sealed class DeploymentBreaker
{
    // As Polly's rolling health metrics: the window is cut into buckets, and a bucket older than the window is dropped
    // whole, so the ratio covers between 9/10 of the window and all of it.
    private const int Buckets = 10;

    private readonly Lock _lock = new();
    private readonly ProviderResilience _options;
    private readonly TimeProvider _time;
    private readonly long _bucketTicks;
    private readonly long _breakTicks;
    private readonly Bucket[] _buckets = new Bucket[Buckets];
    private bool _open;
    private long _openUntil;
    private bool _probing;
    private int _consecutive;
    private bool _used;

    public DeploymentBreaker(ProviderResilience options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _bucketTicks = Math.Max(1, (long)(options.SamplingDuration.TotalSeconds * time.TimestampFrequency / Buckets));
        _breakTicks = (long)(options.BreakDuration.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Whether a call has ever been let through (a deployment nobody asked counts for nothing in /ready).</summary>
    public bool Used
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    /// <summary>Closed; open while its break lasts; half-open once the break is over (a probe may go, or is on its way).</summary>
    public ProviderState State
    {
        get
        {
            lock (_lock)
            {
                return !_open ? ProviderState.Closed : _time.GetTimestamp() < _openUntil ? ProviderState.Open : ProviderState.HalfOpen;
            }
        }
    }

    /// <summary>Time until the next probe may go: the rest of the break, or zero when it is over.</summary>
    public TimeSpan RetryAfter
    {
        get
        {
            lock (_lock)
            {
                return !_open ? TimeSpan.Zero : Positive(_openUntil - _time.GetTimestamp());
            }
        }
    }

    /// <summary>
    /// Admits a call (<see cref="BreakerPass.Call"/>, or <see cref="BreakerPass.Probe"/> as the one call after a break), or
    /// refuses it with the time until a probe may go (while a probe is on its way, at least a second).
    /// </summary>
    public BreakerPass TryEnter(out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            _used = true;
            retryAfter = TimeSpan.Zero;
            if (!_open)
            {
                return BreakerPass.Call;
            }

            long now = _time.GetTimestamp();
            if (now < _openUntil)
            {
                retryAfter = Positive(_openUntil - now);
                return BreakerPass.Refused;
            }

            if (_probing)
            {
                retryAfter = TimeSpan.FromSeconds(1);
                return BreakerPass.Refused;
            }

            _probing = true;
            return BreakerPass.Probe;
        }
    }

    /// <summary>The call answered. A probe's success closes the breaker.</summary>
    public void Succeeded(BreakerPass pass)
    {
        lock (_lock)
        {
            if (pass == BreakerPass.Probe)
            {
                Close();
            }
            else if (!_open)
            {
                _consecutive = 0;
                Record(failed: false);
            }

            // A call let in before the breaker opened says nothing of the deployment now: only the probe decides.
        }
    }

    /// <summary>The call failed in a way that counts against the deployment. True when that opened the breaker.</summary>
    public bool Failed(BreakerPass pass)
    {
        lock (_lock)
        {
            if (pass == BreakerPass.Probe)
            {
                Open();
                return true;
            }

            if (_open)
            {
                return false; // a call let in before the breaker opened: the break is not made longer by it
            }

            _consecutive++;
            var (calls, failures) = Record(failed: true);
            if (_consecutive >= _options.ConsecutiveFailures ||
                (calls >= _options.MinimumThroughput && failures >= _options.FailureRatio * calls))
            {
                Open();
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// The call ended in a way that says nothing of the deployment (the caller's cancel or deadline, a refusal of this
    /// request such as a bad key): not counted. An abandoned probe lets the next call probe instead.
    /// </summary>
    public void Abandoned(BreakerPass pass)
    {
        if (pass != BreakerPass.Probe)
        {
            return;
        }

        lock (_lock)
        {
            _probing = false;
        }
    }

    private void Open()
    {
        _open = true;
        _probing = false;
        _openUntil = _time.GetTimestamp() + _breakTicks;
        Reset();
    }

    private void Close()
    {
        _open = false;
        _probing = false;
        Reset();
    }

    // A breaker that opened starts its next closed period with a clean slate, as Polly's does.
    private void Reset()
    {
        _consecutive = 0;
        Array.Clear(_buckets);
    }

    /// <summary>Counts one outcome in the current bucket; the calls and failures within the window, this one included.</summary>
    private (int Calls, int Failures) Record(bool failed)
    {
        long epoch = _time.GetTimestamp() / _bucketTicks;
        ref var current = ref _buckets[epoch % Buckets];
        if (current.Epoch != epoch)
        {
            current = new Bucket { Epoch = epoch };
        }

        current.Calls++;
        if (failed)
        {
            current.Failures++;
        }

        int calls = 0;
        int failures = 0;
        foreach (var bucket in _buckets)
        {
            if (bucket.Calls > 0 && bucket.Epoch > epoch - Buckets)
            {
                calls += bucket.Calls;
                failures += bucket.Failures;
            }
        }

        return (calls, failures);
    }

    private TimeSpan Positive(long ticks) => ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(ticks / (double)_time.TimestampFrequency);

    private struct Bucket
    {
        public long Epoch;
        public int Calls;
        public int Failures;
    }
}
