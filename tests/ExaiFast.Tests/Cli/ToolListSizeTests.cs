using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// <c>exaifast tools --size</c> (the real executable) against the bytes a daemon really answers <c>tools/list</c> with, and
/// the size bounds the listing must keep: full at most 24 KB, lean at most 8 KB (as clients before MCP 2025-06-18 get
/// it); with the 2025-06-18 fields (title, annotations, outputSchema), at most 24 KB and 10 KB.
/// </summary>
public class ToolListSizeTests
{
    private const int FullLimit = 24 * 1024;
    private const int LeanLimit = 8 * 1024;
    private const int StructuredFullLimit = 24 * 1024;
    private const int StructuredLeanLimit = 10 * 1024;
    private const string Plain = "2024-11-05";
    private const string Structured = "2025-11-25";

    /// <summary>The body of a Streamable HTTP <c>tools/list</c> answer (id 1) from a daemon with <paramref name="env"/>.</summary>
    private static async Task<byte[]> ToolsListAsync(Dictionary<string, string> env, string revision = Plain)
    {
        await using var daemon = await Daemon.StartAsync(env);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(daemon.HttpUri, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", revision);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Each section of the output (before 2025-06-18, then 2025-06-18 on), by profile.</summary>
    private static async Task<Dictionary<string, (int Tools, int Bytes, int Tokens)>[]> SizeAsync(Dictionary<string, string> env)
    {
        await using var process = ExaiFastProcess.Start(env, "tools", "--size");
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("MCP before 2025-06-18:", lines[0]);
        Assert.Equal("MCP 2025-06-18 and later:", lines[5]);
        return [Section(lines[1..5]), Section(lines[6..10])];

        static Dictionary<string, (int, int, int)> Section(string[] lines)
        {
            Assert.Equal("profile     tools    bytes  ~tokens", lines[0]);
            return lines[1..].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .ToDictionary(p => p[0], p => (int.Parse(p[1], CultureInfo.InvariantCulture), int.Parse(p[2], CultureInfo.InvariantCulture), int.Parse(p[3], CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task Size_PrintsTheBytesADaemonAnswersToolsListWith_PerProfile_AndForTheSelection()
    {
        var sections = await SizeAsync(new() { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "planner" });

        foreach (var (sizes, revision) in sections.Zip([Plain, Structured]))
        {
            byte[] full = await ToolsListAsync([], revision);
            byte[] lean = await ToolsListAsync(new() { ["EXAIFAST_TOOLS"] = "lean" }, revision);
            byte[] selected = await ToolsListAsync(new() { ["EXAIFAST_TOOLS"] = "lean", ["DISABLED_TOOLS"] = "planner" }, revision);
            Assert.Equal((ExpectedTools.Names.Length, full.Length, (full.Length + 3) / 4), sizes["full"]);
            Assert.Equal((8, lean.Length, (lean.Length + 3) / 4), sizes["lean"]);
            Assert.Equal((7, selected.Length, (selected.Length + 3) / 4), sizes["selected"]);
        }
    }

    [Fact]
    public async Task Size_WithAnUnknownToolName_Exits2()
    {
        await using var process = ExaiFastProcess.Start(new Dictionary<string, string> { ["DISABLED_TOOLS"] = "nonesuch" }, "tools", "--size");

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

    [Fact]
    public async Task ToolsList_With2025_06_18Fields_StaysWithinItsBudget_Full24KB_Lean10KB()
    {
        byte[] full = await ToolsListAsync([], Structured);
        byte[] lean = await ToolsListAsync(new() { ["EXAIFAST_TOOLS"] = "lean" }, Structured);

        Assert.True(System.Text.Encoding.UTF8.GetString(full).Contains("\"outputSchema\"", StringComparison.Ordinal), "the 2025-06-18 listing lacks outputSchema");
        Assert.True(full.Length <= StructuredFullLimit, $"tools/list (full, 2025-06-18 on) is {full.Length} bytes, over {StructuredFullLimit}");
        Assert.True(lean.Length <= StructuredLeanLimit, $"tools/list (lean, 2025-06-18 on) is {lean.Length} bytes, over {StructuredLeanLimit}");
    }
}
