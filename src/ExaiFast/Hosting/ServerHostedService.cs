using ExaiFast.Core.Dispatch;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Options;
using ExaiFast.Server;
using Microsoft.Extensions.Hosting;

namespace ExaiFast.Hosting;

/// <summary>Starts the server with the host; on SIGTERM/Ctrl-C drains in PROTOCOL.md's order.</summary>
/// <remarks>Stop accepting → let in-flight calls finish until the drain deadline (the rest end with SHUTTING_DOWN)
/// → close every WebSocket with 1001.</remarks>
internal sealed class ServerHostedService(ExaiFastServer server, Dispatcher dispatcher, ServerOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        server.StopListening();
        await dispatcher.DrainAsync(options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        await server.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
