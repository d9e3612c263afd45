using ExaiFast.Server;

namespace ExaiFast.Hosting;

/// <summary>The clients of <c>stdio --in-process</c>: the one that started the process, over no socket.</summary>
internal sealed class InProcessClient : IClientCounts
{
    public static readonly InProcessClient Instance = new();

    private InProcessClient()
    {
    }

    /// <inheritdoc />
    public int Connections => 0;

    /// <inheritdoc />
    public int Sessions => 1;
}
