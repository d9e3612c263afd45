using System.Net;
using ExaiFast.Configuration;
using ExaiFast.Core.Dispatch;
using ExaiFast.Hosting;
using ExaiFast.Models.Local;
using ExaiFast.Server;
using ExaiFast.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ExaiFast.Tests.ExaiWs;

/// <summary>The real composition root (DaemonHost) on 127.0.0.1 with an OS-assigned port, in process.</summary>
internal sealed class Daemon : IAsyncDisposable
{
    private readonly IHost _host;

    private Daemon(IHost host) => _host = host;

    public ExaiFastServer Server => _host.Services.GetRequiredService<ExaiFastServer>();

    public Dispatcher Dispatcher => _host.Services.GetRequiredService<Dispatcher>();

    public LocalModelProvider LocalModel => _host.Services.GetRequiredService<LocalModelProvider>();

    public IServiceProvider Services => _host.Services;

    public Uri Uri => new($"ws://127.0.0.1:{Server.LocalEndPoint!.Port}/");

    public Uri HttpUri => new($"http://127.0.0.1:{Server.LocalEndPoint!.Port}/");

    public IPEndPoint EndPoint => Server.LocalEndPoint!;

    /// <summary>Starts a daemon with the given settings (as environment variables would give them), and no others: not this process's environment, not a <c>./.env</c>.</summary>
    /// <param name="env">Settings.</param>
    /// <param name="port">0 for an OS-assigned port; another to come back on the port of a daemon that was stopped.</param>
    /// <param name="log">Where the daemon logs (at <c>EXAIFAST_LOG_LEVEL</c>, warning unless <paramref name="env"/> sets it);
    /// nowhere if null. Everything is written by the time <see cref="DisposeAsync"/> returns.</param>
    public static async Task<Daemon> StartAsync(Dictionary<string, string>? env = null, int port = 0, Stream? log = null)
    {
        var values = new Dictionary<string, string>(env ?? []) { ["EXAI_WS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        values.TryAdd("EXAIFAST_LOG_LEVEL", "warning");
        var settings = SettingsLoader.Load(values, new Dictionary<string, string>(), envFile: HermeticStart.EmptyEnvFile);
        var host = DaemonHost.Build(settings, log ?? Stream.Null, ownsLogStream: false);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new Daemon(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        if (_host is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }
}
