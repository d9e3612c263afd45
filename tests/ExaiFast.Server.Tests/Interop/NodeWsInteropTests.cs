using System.Diagnostics;
using ExaiFast.Server.Tests.Infrastructure;

namespace ExaiFast.Server.Tests.Interop;

/// <summary>Node's `ws` package (installed by scripts/test.sh with npm ci) against the server.</summary>
public class NodeWsInteropTests
{
    [Fact]
    public async Task NodeWs_EchoesEverySize_WholeAndFragmented_PingsAndCloses()
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "ws")), "tests/clients/node_modules/ws is missing: run scripts/test.sh (it runs npm ci)");
        await using var server = await TestServer.StartAsync();
        int[] sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];

        var (exitCode, stdout, stderr) = await RunNodeAsync("ws-echo.mjs", [server.WebSocketUri.ToString(), .. sizes.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {stdout}\nstderr: {stderr}");
        Assert.Contains($"\"checked\":{sizes.Length * 4}", stdout);
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string script, string[] args)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = RepoPaths.Clients, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
