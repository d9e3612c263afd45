namespace ExaiFast.Load;

/// <summary>CPU time of the server (when its pid is known) and of the generator between <see cref="Start"/> and <see cref="Stop"/>.</summary>
internal sealed class CpuWindow(int? serverPid)
{
    private TimeSpan? _serverStart;
    private TimeSpan _selfStart;
    private bool _started;

    public TimeSpan? Server { get; private set; }

    public TimeSpan Generator { get; private set; }

    public void Start()
    {
        _serverStart = serverPid is int pid ? ProcessStats.Cpu(pid) : null;
        _selfStart = ProcessStats.SelfCpu();
        _started = true;
    }

    /// <summary>Ends the window; one that never started (an open loop with no measured request) measured nothing.</summary>
    public void Stop()
    {
        if (!_started)
        {
            return;
        }

        Server = serverPid is int pid && _serverStart is { } start && ProcessStats.Cpu(pid) is { } end ? end - start : null;
        Generator = ProcessStats.SelfCpu() - _selfStart;
    }
}
