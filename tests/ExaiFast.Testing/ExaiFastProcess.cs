using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ExaiFast.Testing;

/// <summary>
/// The one way a test runs the real <c>exaifast</c> (<see cref="ExaiFastExecutable"/>) in a child process — a daemon
/// (<see cref="StartServeAsync"/>), a stdio bridge, a one-shot command. It starts hermetic (<see cref="HermeticStart"/>:
/// only the settings the test passes, in an empty directory of its own that is also its HOME unless the test sets one),
/// captures stdout and stderr, reads the port a daemon bound from its "Listening on" line (ask for port 0: the OS
/// assigns one), is ready when <c>/ready</c> says so (<see cref="Readiness"/>), and is killed with its children on dispose.
/// </summary>
public sealed partial class ExaiFastProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessStartInfo _start;
    private readonly bool _ownsDirectory;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ExaiFastProcess(ProcessStartInfo start, Action<string>? onStdoutLine, bool ownsDirectory = true)
    {
        _start = start;
        _ownsDirectory = ownsDirectory;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (onStdoutLine is not null)
            {
                onStdoutLine(e.Data);
                return;
            }

            lock (_stdout)
            {
                _stdout.AppendLine(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
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

            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything written to stdout so far (nothing when the lines go to a reader given at the start).</summary>
    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    /// <summary>Everything written to stderr so far: the log, unless a setting sends it elsewhere.</summary>
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The daemon's port, once <see cref="WaitForPortAsync"/> or <see cref="WaitForReadyAsync"/> returned it.</summary>
    public int Port => _port.Task.IsCompletedSuccessfully ? _port.Task.Result : throw new InvalidOperationException("the daemon has not said it listens yet");

    /// <summary>The daemon's own base address on 127.0.0.1 (<c>http://127.0.0.1:PORT/</c>).</summary>
    public Uri HttpUri => new($"http://127.0.0.1:{Port}/");

    /// <summary>The WebSocket address of both WebSocket doors (<c>ws://127.0.0.1:PORT/</c>).</summary>
    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/");

    /// <summary>Its stdin (UTF-8 without a byte-order mark).</summary>
    public StreamWriter StandardInput => _process.StandardInput;

    public static ExaiFastProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>
    /// Starts <c>exaifast</c> with <paramref name="settings"/> as its whole configuration: nothing else of this
    /// process's environment, and no <c>.env</c> (it runs in an empty directory of its own).
    /// </summary>
    public static ExaiFastProcess Start(IReadOnlyDictionary<string, string> settings, params string[] args) => Start(settings, args, onStdoutLine: null);

    /// <summary>As <see cref="Start(IReadOnlyDictionary{string, string}, string[])"/>, every stdout line handed to
    /// <paramref name="onStdoutLine"/> (in order, one at a time) instead of kept in <see cref="Stdout"/>.</summary>
    public static ExaiFastProcess Start(IReadOnlyDictionary<string, string> settings, IEnumerable<string> args, Action<string>? onStdoutLine) =>
        Start(settings, args, onStdoutLine, workingDirectory: null);

    /// <summary>
    /// As <see cref="Start(IReadOnlyDictionary{string, string}, string[])"/>, in <paramref name="workingDirectory"/> (the
    /// caller's: kept at dispose) when the test gives one, for files its settings name relative to it.
    /// </summary>
    public static ExaiFastProcess Start(IReadOnlyDictionary<string, string> settings, IEnumerable<string> args, Action<string>? onStdoutLine, string? workingDirectory)
    {
        var start = Hermetic(settings, workingDirectory);
        start.ArgumentList.Add(ExaiFastExecutable.FileName);
        ExaiFastExecutable.AddArguments(start, args);
        return new ExaiFastProcess(start, onStdoutLine, ownsDirectory: workingDirectory is null);
    }

    /// <summary>
    /// Starts <paramref name="command"/> as an MCP client's config names it (a wrapper, a link to exaifast): env(1) looks
    /// it up on the PATH of <paramref name="settings"/> (Process.Start would search this process's PATH instead).
    /// </summary>
    public static ExaiFastProcess StartCommand(IReadOnlyDictionary<string, string> settings, string command, IEnumerable<string> args, Action<string>? onStdoutLine = null)
    {
        var start = Hermetic(settings);
        start.ArgumentList.Add(command);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        return new ExaiFastProcess(start, onStdoutLine);
    }

    /// <summary><c>exaifast serve --port 0</c> (then <paramref name="args"/>) with <paramref name="settings"/>, once it
    /// answers <c>/ready</c>; its port is <see cref="Port"/>.</summary>
    public static Task<ExaiFastProcess> StartServeAsync(IReadOnlyDictionary<string, string>? settings = null, params string[] args) =>
        ReadyAsync(Start(settings ?? new Dictionary<string, string>(), ["serve", "--port", "0", .. args]));

    /// <summary><paramref name="daemon"/> once it answers <c>/ready</c>; stopped, and the failure thrown, if it never does.</summary>
    public static async Task<ExaiFastProcess> ReadyAsync(ExaiFastProcess daemon)
    {
        try
        {
            await daemon.WaitForReadyAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    // Through env(1), which execs exaifast (or dotnet) in its place (same pid): a test run started in the background by a
    // non-interactive shell has SIGINT ignored, a child inherits that, and the runtime keeps an inherited SIG_IGN — so
    // the Ctrl-C tests failed only when the suite was launched with '&'. --default-signal puts SIGINT back.
    private static ProcessStartInfo Hermetic(IReadOnlyDictionary<string, string> settings, string? workingDirectory = null)
    {
        var start = HermeticStart.Create("env", settings, workingDirectory);
        if (!settings.ContainsKey("HOME"))
        {
            // Its own HOME: nothing a daemon keeps under ~ (~/.cache/exaifast) is shared with another test, or the developer.
            start.Environment["HOME"] = start.WorkingDirectory;
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.StandardInputEncoding = new UTF8Encoding(false);
        start.ArgumentList.Add("--default-signal=INT");
        return start;
    }

    /// <summary>The port of the daemon's "Listening on" line; fails if it exits first or says nothing for 60 s.</summary>
    public Task<int> WaitForPortAsync() => _port.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

    /// <summary>The port, once the daemon answers <c>GET /ready</c> with 200 (listening is not yet ready).</summary>
    public async Task<int> WaitForReadyAsync()
    {
        int port = await WaitForPortAsync();
        await Readiness.WaitAsync(port, () => _process.HasExited, () => Stderr, TestContext.Current.CancellationToken);
        return port;
    }

    /// <summary>Its exit code, once it exited and its stdout and stderr are read to the end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        _process.WaitForExit(); // drains the async readers
        return _process.ExitCode;
    }

    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>Kills it and its children if it still runs, reads what it wrote to the end, removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        // Bounded: a detached grandchild (an autostarted daemon) may hold a copy of stdout or stderr open.
        using (var drained = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _process.WaitForExitAsync(drained.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _process.Dispose();
        if (_ownsDirectory)
        {
            HermeticStart.DeleteWorkingDirectory(_start);
        }
    }

    /// <summary>The port in a "Listening on" log line, or null.</summary>
    public static int? ListeningPort(string log) =>
        ListeningLine().Match(log) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"Listening on [^ ]*:(\d+) ")]
    private static partial Regex ListeningLine();
}
