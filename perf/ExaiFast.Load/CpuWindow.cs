namespace ExaiFast.Load;

/// <summary>CPU time of the server (when its pid is known) and of the generator between <see cref="Start"/> and <see cref="Stop"/>.</summary>
internal sealed class CpuWindow(int? serverPid)
{
    private TimeSpan? _serverStart;
    private TimeSpan _selfStart;

    public TimeSpan? Server { get; private set; }

    public TimeSpan Generator { get; private set; }

    public void Start()
    {
        _serverStart = serverPid is int pid ? ProcessStats.Cpu(pid) : null;
        _selfStart = ProcessStats.SelfCpu();
    }

    public void Stop()
    {
        Server = serverPid is int pid && _serverStart is { } start && ProcessStats.Cpu(pid) is { } end ? end - start : null;
        Generator = ProcessStats.SelfCpu() - _selfStart;
    }
}
