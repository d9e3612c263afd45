using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ExaiFast.Tests.Cli;

/// <summary>The real <c>exaifast</c> executable (<see cref="ExaiFastExecutable"/>) in a child process, with its stdout and stderr captured.</summary>
internal sealed partial class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessStartInfo _start;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(ProcessStartInfo start)
    {
        _start = start;
        _process = Process.Start(start)!;
        var process = _process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (_stdout) { _stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _port.TrySetException(new InvalidOperationException("exaifast exited before listening:\n" + Stderr));
                return;
            }

            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }

            var match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public int Pid => _process.Id;

    public static DaemonProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>
    /// Starts <c>exaifast</c> with <paramref name="environment"/> as its whole configuration: nothing else of this
    /// process's environment, and no <c>.env</c> (it runs in an empty directory of its own).
    /// </summary>
    public static DaemonProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Through env(1), which execs exaifast (or dotnet) in its place (same pid): a test run started in the background by a
        // non-interactive shell has SIGINT ignored, a child inherits that, and the runtime keeps an inherited SIG_IGN —
        // so the Ctrl-C test failed only when the suite was launched with '&'. --default-signal puts SIGINT back.
        var start = HermeticStart.Create("env", environment);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(ExaiFastExecutable.FileName);
        ExaiFastExecutable.AddArguments(start, args);

        return new DaemonProcess(start);
    }

    public Task<int> WaitForPortAsync() => _port.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    /// <summary>The port, once the daemon answers <c>GET /ready</c> with 200 (listening is not yet ready).</summary>
    public async Task<int> WaitForReadyAsync()
    {
        int port = await WaitForPortAsync();
        await Readiness.WaitAsync(port, () => _process.HasExited, () => Stderr, TestContext.Current.CancellationToken);
        return port;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        _process.WaitForExit(); // drains the async readers
        return _process.ExitCode;
    }

    public void Signal(int signal)
    {
        Assert.Equal(0, Kill(_process.Id, signal));
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        HermeticStart.DeleteWorkingDirectory(_start);
        return ValueTask.CompletedTask;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>The port in a "Listening on" log line, or null.</summary>
    public static int? ListeningPort(string log) =>
        ListeningLine().Match(log) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"Listening on [^ ]*:(\d+) ")]
    private static partial Regex ListeningLine();
}
