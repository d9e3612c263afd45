using ExaiFast.Server;
using Microsoft.Extensions.Hosting;

namespace ExaiFast.Hosting;

/// <summary>Starts the server with the host and drains it when the host stops (SIGTERM, Ctrl-C).</summary>
internal sealed class ServerHostedService(ExaiFastServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
