using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Workflows;

/// <summary>One daemon on the offline local model, shared by the cases of a test class.</summary>
public sealed class LocalDaemonFixture : IAsyncLifetime
{
    private Daemon? _daemon;

    internal Daemon Daemon => _daemon!;

    public async ValueTask InitializeAsync() => _daemon = await Daemon.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }
}
