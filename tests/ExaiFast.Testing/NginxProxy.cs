using System.Diagnostics;

namespace ExaiFast.Testing;

/// <summary>
/// A real nginx (scripts/setup.sh installs it) load-balancing WebSocket connections over several daemons, with its own
/// config, prefix, pid file, temp paths and error log in a temp folder, on a free loopback port; no root needed.
/// </summary>
/// <remarks><see cref="Config"/> is the configuration docs/operations.md shows, with the ports and paths filled in.</remarks>
public sealed class NginxProxy : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Process _process;

    private NginxProxy(string dir, int port, Process process)
    {
        _dir = dir;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/");

    public string ErrorLog => File.Exists(Path.Combine(_dir, "error.log")) ? File.ReadAllText(Path.Combine(_dir, "error.log")) : "";

    /// <summary>The http-level configuration: an upstream of the daemons, and WebSocket upgrades passed through.</summary>
    public static string Config(int listenPort, IEnumerable<int> daemonPorts) => $$"""
        map $http_upgrade $connection_upgrade {
            default upgrade;
            ''      close;
        }

        upstream exaifast {
        {{string.Concat(daemonPorts.Select(p => $"    server 127.0.0.1:{p};\n"))}}}

        server {
            listen 127.0.0.1:{{listenPort}};

            location / {
                proxy_pass http://exaifast;
                proxy_http_version 1.1;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                # A call may run for minutes with only progress frames (every 8 s) on the wire; the daemon pings idle
                # connections every 30 s. Longer than both, so nginx never cuts a live connection.
                proxy_read_timeout 3600s;
                proxy_send_timeout 3600s;
                proxy_buffering off;
            }
        }
        """;

    /// <summary>Starts nginx in front of daemons that are ready, and returns once a daemon's /ready answers through it.</summary>
    public static async Task<NginxProxy> StartAsync(params int[] daemonPorts)
    {
        string executable = FreePort.FindExecutable("nginx", "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")
            ?? throw new InvalidOperationException("nginx is not installed: run scripts/setup.sh");
        return await FreePort.StartAsync(port => StartAsync(executable, port, daemonPorts));
    }

    private static async Task<NginxProxy> StartAsync(string executable, int port, int[] daemonPorts)
    {
        string dir = Directory.CreateTempSubdirectory("exaifast-nginx-").FullName;
        string conf = Path.Combine(dir, "nginx.conf");
        File.WriteAllText(conf, $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log info;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/client_body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
            {{Config(port, daemonPorts)}}
            }
            """);
        var start = HermeticStart.Create(executable, workingDirectory: dir);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (string a in (string[])["-p", dir + "/", "-c", conf, "-e", Path.Combine(dir, "error.log")])
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new NginxProxy(dir, port, process);
        try
        {
            // Ready when a daemon answers through it; a process that took the port would not say 200 to /ready.
            await Readiness.WaitAsync(port, () => process.HasExited, () => proxy.ErrorLog, TestContext.Current.CancellationToken);
        }
        catch (InvalidOperationException) when (process.HasExited && FreePort.SaysPortTaken(proxy.ErrorLog))
        {
            string log = proxy.ErrorLog;
            await proxy.DisposeAsync();
            throw new PortTakenException($"port {port} was taken:\n{log}");
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }

        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
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
