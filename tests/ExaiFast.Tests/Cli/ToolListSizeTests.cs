using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// <c>exaifast tools --size</c> (the real executable) against the bytes a daemon really answers <c>tools/list</c> with, and
/// the size bounds the listing must keep: full at most 24 KB, lean at most 8 KB.
/// </summary>
public class ToolListSizeTests
{
    private const int FullLimit = 24 * 1024;
    private const int LeanLimit = 8 * 1024;

    /// <summary>The body of a Streamable HTTP <c>tools/list</c> answer (id 1) from a daemon with <paramref name="env"/>.</summary>
    private static async Task<byte[]> ToolsListAsync(Dictionary<string, string> env)
    {
        await using var daemon = await Daemon.StartAsync(env);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<Dictionary<string, (int Tools, int Bytes, int Tokens)>> SizeAsync(Dictionary<string, string> env)
    {
        await using var process = DaemonProcess.Start(env, "tools", "--size");
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("profile     tools    bytes  ~tokens", lines[0]);
        return lines[1..4].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(p => p[0], p => (int.Parse(p[1], CultureInfo.InvariantCulture), int.Parse(p[2], CultureInfo.InvariantCulture), int.Parse(p[3], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Size_PrintsTheBytesADaemonAnswersToolsListWith_PerProfile_AndForTheSelection()
    {
        var sizes = await SizeAsync(new() { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "planner" });

        byte[] full = await ToolsListAsync([]);
        byte[] lean = await ToolsListAsync(new() { ["EXAIFAST_TOOLS"] = "lean" });
        byte[] selected = await ToolsListAsync(new() { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "planner" });
        Assert.Equal((ExpectedTools.Names.Length, full.Length, (full.Length + 3) / 4), sizes["full"]);
        Assert.Equal((8, lean.Length, (lean.Length + 3) / 4), sizes["lean"]);
        Assert.Equal((7, selected.Length, (selected.Length + 3) / 4), sizes["selected"]);
    }

    [Fact]
    public async Task Size_WithAnUnknownToolName_Exits2()
    {
        await using var process = DaemonProcess.Start(new Dictionary<string, string> { ["DISABLED_TOOLS"] = "nonesuch" }, "tools", "--size");

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("invalid DISABLED_TOOLS (from environment): 'nonesuch'", process.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, process.Stdout);
    }

    [Fact]
    public async Task ToolsList_StaysWithinItsBudget_Full24KB_Lean8KB()
    {
        byte[] full = await ToolsListAsync([]);
        byte[] lean = await ToolsListAsync(new() { ["EXAIFAST_TOOLS"] = "lean" });

        Assert.True(full.Length <= FullLimit, $"tools/list (full) is {full.Length} bytes, over {FullLimit}");
        Assert.True(lean.Length <= LeanLimit, $"tools/list (lean) is {lean.Length} bytes, over {LeanLimit}");
    }
}
