using System.Text.RegularExpressions;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// MCP tasks driven by the official TypeScript SDK v2 (tests/clients/mcp-v2-tasks-client.mjs) over Streamable HTTP: its
/// transport, its 2026-07-28 negotiation, its <c>_meta</c> declaring the extension and its <c>Mcp-Name</c> headers. The
/// SDK 2.4.0 has no task API (nor does the v1 SDK for this revision, nor the C# SDK 2.4.0): the script reads the task
/// handle off the SDK's transport and polls and cancels with the SDK's <c>request()</c>.
/// </summary>
public partial class McpTasksTypeScriptSdkTests
{
    [GeneratedRegex("^[0-9a-f]{1,12}-[0-9a-f]{32}$")]
    private static partial Regex TaskIdShape();

    [Fact]
    public async Task TheV2Sdk_CreatesATask_PollsItToItsResult_AndCancelsAnother()
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Clients, "node_modules", "@modelcontextprotocol", "client")),
            "tests/clients/node_modules/@modelcontextprotocol/client is missing: run scripts/test.sh (it runs npm ci)");
        await using var fake = FakeOpenAIServer.Start();
        var hold = new TaskCompletionSource();
        fake.Hold = hold.Task;
        await using var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_MODELS"] = "stream,hang-headers",
        });
        string signal = Path.Combine(Path.GetTempPath(), "exaifast-tasks-" + Guid.NewGuid().ToString("N"));
        try
        {
            var run = NodeProcess.RunAsync("mcp-v2-tasks-client.mjs", [daemon.HttpUri.ToString(), signal]);

            // The script says when it has seen the task working; only then does the model answer.
            while (!File.Exists(signal))
            {
                if (run.IsCompleted)
                {
                    var (code, stdout, stderr) = await run;
                    Assert.Fail($"node exited {code} before the task was working\nstdout: {stdout}\nstderr: {stderr}");
                }

                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            string taskId = await File.ReadAllTextAsync(signal, TestContext.Current.CancellationToken);
            Assert.Matches(TaskIdShape(), taskId);
            Assert.Equal(1, fake.Held);
            hold.SetResult();

            var (exitCode, output, errors) = await run;
            Assert.True(exitCode == 0, $"node exited {exitCode}\nstdout: {output}\nstderr: {errors}");
            Assert.Contains($"\"completed\":\"{taskId}\"", output, StringComparison.Ordinal);

            // The cancelled task's model request was aborted; each task asked its model once.
            await fake.WaitForNoOpenRequestsAsync();
            Assert.Equal(2, fake.RequestCount);
        }
        finally
        {
            File.Delete(signal);
        }
    }
}
