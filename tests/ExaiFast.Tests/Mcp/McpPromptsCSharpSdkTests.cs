using System.Globalization;
using ExaiFast.Tests.ExaiWs;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The official MCP C# SDK client (NuGet ModelContextProtocol) lists and gets the prompts on each door: Streamable HTTP,
/// MCP over WebSocket, and <c>exaifast stdio</c> bridged to a daemon and in process. The SDK's own types read every
/// result; the daemon's profile decides which prompts there are.
/// </summary>
public class McpPromptsCSharpSdkTests
{
    private static readonly McpClientOptions Options = new() { ClientInfo = new Implementation { Name = "exaifast-tests", Version = "1.0.0" } };

    [Theory]
    [InlineData("http")]
    [InlineData("ws")]
    [InlineData("stdio")]
    [InlineData("stdio-in-process")]
    public async Task TheSdk_ListsAndGetsThePrompts_AndReadsTheErrors(string door)
    {
        var ct = TestContext.Current.CancellationToken;
        var profile = new Dictionary<string, string> { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "consensus" };
        await using var daemon = door == "stdio-in-process" ? null : await Daemon.StartAsync(profile);
        string workingDirectory = HermeticStart.NewWorkingDirectory();
        IClientTransport transport = door switch
        {
            "http" => new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(daemon!.HttpUri, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp }),
            "ws" => new WebSocketClientTransport(daemon!.Uri),
            _ => new StdioClientTransport(new StdioClientTransportOptions
            {
                Command = ExaiFastExecutable.FileName,
                Arguments = [.. ExaiFastExecutable.Prefix, "stdio", .. (daemon is null ? (string[])["--in-process"] : [])],
                // Bridged, the bridge has no profile of its own: the prompts must be the daemon's.
                EnvironmentVariables = HermeticStart.Overrides(daemon is null
                    ? new Dictionary<string, string>(profile) { ["EXAIFAST_LOG_LEVEL"] = "warning" }
                    : new Dictionary<string, string> { ["EXAIFAST_LOG_LEVEL"] = "warning", ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(CultureInfo.InvariantCulture) }),
                WorkingDirectory = workingDirectory,
            }),
        };

        await using (var client = await McpClient.CreateAsync(transport, Options, cancellationToken: ct))
        {
            Assert.NotNull(client.ServerCapabilities.Prompts);

            var prompts = await client.ListPromptsAsync(cancellationToken: ct);
            Assert.Equal(["challenge", "chat", "codereview", "debug", "listmodels", "planner", "thinkdeep", "continue"], prompts.Select(p => p.Name));
            var debug = prompts.Single(p => p.Name == "debug").ProtocolPrompt;
            Assert.Equal("Debug", debug.Title);
            Assert.Equal(["step", "relevant_files", "model"], debug.Arguments!.Select(a => a.Name));
            Assert.Equal([true, false, false], debug.Arguments!.Select(a => a.Required ?? false));

            var got = await client.GetPromptAsync("debug", new Dictionary<string, object?> { ["step"] = "Why does the login time out?", ["model"] = "auto" }, cancellationToken: ct);
            var message = Assert.Single(got.Messages);
            Assert.Equal(Role.User, message.Role);
            string text = Assert.IsType<TextContentBlock>(message.Content).Text;
            Assert.Contains("Call `debug` with these arguments: {\"step\":\"Why does the login time out?\",\"model\":\"auto\"}", text, StringComparison.Ordinal);

            var unknown = await Assert.ThrowsAsync<McpProtocolException>(() => client.GetPromptAsync("consensus", new Dictionary<string, object?> { ["step"] = "x" }, cancellationToken: ct).AsTask());
            Assert.Equal(McpErrorCode.InvalidParams, unknown.ErrorCode);
            Assert.Contains("unknown prompt consensus", unknown.Message, StringComparison.Ordinal);
            var missing = await Assert.ThrowsAsync<McpProtocolException>(() => client.GetPromptAsync("planner", cancellationToken: ct).AsTask());
            Assert.Equal(McpErrorCode.InvalidParams, missing.ErrorCode);
            Assert.Contains("prompt planner needs the argument step", missing.Message, StringComparison.Ordinal);
        }

        HermeticStart.DeleteWorkingDirectory(workingDirectory);
    }
}
