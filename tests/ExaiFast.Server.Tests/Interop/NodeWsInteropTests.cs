using ExaiFast.Server.Tests.Infrastructure;

namespace ExaiFast.Server.Tests.Interop;

/// <summary>Node's `ws` package (installed by scripts/test.sh with npm ci) against the server.</summary>
public class NodeWsInteropTests : TransportSuite
{
    [Fact]
    public async Task NodeWs_EchoesEverySize_WholeAndFragmented_PingsAndCloses()
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "ws")), "tests/clients/node_modules/ws is missing: run scripts/test.sh (it runs npm ci)");
        await using var server = await StartServerAsync();
        int[] sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];

        var (exitCode, stdout, stderr) = await NodeProcess.RunAsync("ws-echo.mjs", [server.WebSocketUri.ToString(), .. sizes.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains($"\"checked\":{sizes.Length * 4}", stdout);
    }
}
