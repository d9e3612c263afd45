using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ExaiFast.Load.Tests;

/// <summary>A server under test in a child process — exaifast, or a perf/ baseline (<c>dotnet exec X.dll</c>) — its output kept for failure messages.</summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    // A baseline's own process, or the daemon's (which captures its own output).
    private readonly Process? _process;
    private readonly ProcessStartInfo? _start;
    private readonly ExaiFastProcess? _exaifast;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(ExaiFastProcess exaifast) => _exaifast = exaifast;

    private ServerProcess(ProcessStartInfo start)
    {
        _start = start;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start)!;
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                _listening.TrySetException(new InvalidOperationException("the server exited before listening:\n" + Captured));
                return;
            }

            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            if (ListeningLine().Match(e.Data) is { Success: true } m)
            {
                _listening.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _process.OutputDataReceived += onLine;
        _process.ErrorDataReceived += onLine;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _exaifast?.Pid ?? _process!.Id;

    public int Port { get; private set; }

    public string Output => _exaifast is { } daemon ? daemon.Stderr + daemon.Stdout : Captured;

    private string Captured { get { lock (_output) { return _output.ToString(); } } }

    /// <summary>The real daemon (<see cref="ExaiFastProcess"/>) on an OS-assigned port, once it answers /ready.</summary>
    public static async Task<ServerProcess> StartExaiFastAsync(CancellationToken cancellationToken, params string[] args)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var daemon = await ExaiFastProcess.StartServeAsync(null, args);
        return new ServerProcess(daemon) { Port = daemon.Port };
    }

    /// <summary>
    /// A perf/ baseline (<c>perf/NAME/bin/CONFIG/net10.0/NAME.dll</c>) given port 0 through <paramref name="args"/>: it
    /// prints its "Listening on" line once Kestrel accepts, with the port the OS gave it.
    /// </summary>
    public static async Task<ServerProcess> StartBaselineAsync(string name, string[] args, CancellationToken cancellationToken)
    {
        var start = HermeticStart.Create("dotnet");
        foreach (string a in (string[])["exec", PerfDll(name), .. args])
        {
            start.ArgumentList.Add(a);
        }

        var server = new ServerProcess(start);
        try
        {
            server.Port = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"{name} never said it listens:\n{server.Output}", ex);
        }

        return server;
    }

    public ValueTask DisposeAsync()
    {
        if (_exaifast is not null)
        {
            return _exaifast.DisposeAsync();
        }

        if (!_process!.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        HermeticStart.DeleteWorkingDirectory(_start!);
        return ValueTask.CompletedTask;
    }

    // The baselines are built with the same configuration as this test assembly (…/bin/<Configuration>/net10.0/).
    private static string PerfDll(string name)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string path = Path.Combine(RepoPaths.Root, "perf", name, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: the test project builds it (ProjectReference)", path);
    }

    [GeneratedRegex(@"Listening on [^ ]*:(\d+) ")]
    private static partial Regex ListeningLine();
}
