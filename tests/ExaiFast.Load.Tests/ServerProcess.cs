using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace ExaiFast.Load.Tests;

/// <summary>A server under test in a child process (<c>dotnet exec X.dll</c>), its output kept for failure messages.</summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("EXAI", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key); // nothing inherited may change the daemon's settings
        }

        _process = Process.Start(start)!;
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
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

    public int Pid => _process.Id;

    public int Port { get; private set; }

    public string Output { get { lock (_output) { return _output.ToString(); } } }

    /// <summary>The real daemon on an OS-assigned port, read back from its "Listening on" log line.</summary>
    public static async Task<ServerProcess> StartExaiFastAsync(CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "exaifast.dll"), "serve", "--port", "0" } };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        var server = new ServerProcess(start);
        server.Port = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return server;
    }

    /// <summary>
    /// A perf/ baseline (<c>perf/NAME/bin/CONFIG/net10.0/NAME.dll</c>). The ASP.NET ones log nothing, so the port is
    /// chosen here (bound and released, then given to the server) and the server is ready when it accepts.
    /// </summary>
    public static async Task<ServerProcess> StartBaselineAsync(string name, Func<int, string[]> args, CancellationToken cancellationToken)
    {
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { "exec", PerfDll(name) } };
        foreach (string a in args(port))
        {
            start.ArgumentList.Add(a);
        }

        var server = new ServerProcess(start) { Port = port };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return server;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !server._process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (SocketException ex)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"{name} never listened on {port}:\n{server.Output}", ex);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    // The baselines are built with the same configuration as this test assembly (…/bin/<Configuration>/net10.0/).
    private static string PerfDll(string name)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string path = Path.Combine(RepoRoot(), "perf", name, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: the test project builds it (ProjectReference)", path);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExaiFast.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ExaiFast.sln not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [GeneratedRegex(@"Listening on [^ ]*:(\d+) ")]
    private static partial Regex ListeningLine();
}
