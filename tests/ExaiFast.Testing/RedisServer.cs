using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace ExaiFast.Testing;

/// <summary>
/// A real <c>redis-server</c> (scripts/setup.sh installs it) on a free loopback port, with its own config and directory in a
/// temp folder and no persistence; stopped and removed on dispose. <see cref="StopAsync"/> and <see cref="StartAsync"/>
/// take it down and bring it back on the same port (an outage).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _executable;
    private Process? _process;

    private RedisServer(string executable, string dir, int port)
    {
        _executable = executable;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>REDIS_URL for it.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    public static async Task<RedisServer> StartNewAsync()
    {
        string executable = FreePort.FindExecutable("redis-server", "/usr/bin", "/usr/local/bin")
            ?? throw new InvalidOperationException("redis-server is not installed: run scripts/setup.sh");
        return await FreePort.StartAsync(async port =>
        {
            string dir = Directory.CreateTempSubdirectory("exaifast-redis-").FullName;
            var server = new RedisServer(executable, dir, port);
            try
            {
                await server.ConfigureAndStartAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }

            return server;
        });
    }

    private Task ConfigureAndStartAsync()
    {
        File.WriteAllText(Path.Combine(_dir, "redis.conf"), $"""
            bind 127.0.0.1
            port {Port}
            protected-mode no
            daemonize no
            dir {_dir}
            logfile {Path.Combine(_dir, "redis.log")}
            save ""
            appendonly no
            """);
        return StartAsync();
    }

    /// <summary>Starts it (again) and waits until it answers PING.</summary>
    public async Task StartAsync()
    {
        var start = HermeticStart.Create(_executable, workingDirectory: _dir);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.ArgumentList.Add(Path.Combine(_dir, "redis.conf"));
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await PingAsync())
        {
            if (_process.HasExited && FreePort.SaysPortTaken(Log))
            {
                throw new PortTakenException($"port {Port} was taken:\n" + Log);
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"redis-server did not start on port {Port}:\n" + Log);
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Kills it (an outage, not a shutdown) and waits until the port no longer answers.</summary>
    public async Task StopAsync()
    {
        if (_process is { } p)
        {
            p.Kill();
            await p.WaitForExitAsync(TestContext.Current.CancellationToken);
            p.Dispose();
            _process = null;
        }
    }

    public string Log => File.Exists(Path.Combine(_dir, "redis.log")) ? File.ReadAllText(Path.Combine(_dir, "redis.log")) : "";

    // Bounded: whatever else took the port may accept and never answer.
    private async Task<bool> PingAsync()
    {
        using var client = new TcpClient();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", Port, deadline.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), deadline.Token);
            var buffer = new byte[16];
            int n = await stream.ReadAsync(buffer, deadline.Token);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException || (ex is OperationCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
