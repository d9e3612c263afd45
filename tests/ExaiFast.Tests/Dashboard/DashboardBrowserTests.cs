using System.Globalization;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Cli;
using ExaiFast.Tests.ExaiWs;
using ExaiFast.Tests.Models;

namespace ExaiFast.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: the executable (the native binary under scripts/test.sh, so the page embedded in it
/// is what loads) with a token and a fake OpenAI-compatible server as its provider, and headless Chromium loading
/// <c>/dashboard</c>. The numbers must render, then follow calls made meanwhile; every wait polls the DOM within a
/// generous bound, nothing is timed. Each test saves a screenshot under artifacts/dashboard/.
/// </summary>
public class DashboardBrowserTests
{
    private const string Token = "dash-T0KEN-4f9c1e7a2b";

    [Fact]
    public async Task WithTheTokenInTheFragment_TheNumbersRender_AndFollowTheCalls()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = StartDaemon(fake);
        int port = await daemon.WaitForReadyAsync();
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"http://127.0.0.1:{port}/dashboard#token={Uri.EscapeDataString(Token)}");
        int before = int.Parse(await browser.WaitForAsync(Text("calls-ok"), IsCount, "the completed calls to render"), CultureInfo.InvariantCulture);

        // The fragment has left the address bar and the tab's history, into this tab's sessionStorage.
        Assert.Equal($"http://127.0.0.1:{port}/dashboard", await browser.TextAsync("location.href"));
        Assert.Equal(Token, await browser.TextAsync("sessionStorage.getItem('exaifast.dashboard.token')"));
        // The inline style ran: its hash in the page's Content-Security-Policy is right (the script's is, or nothing rendered).
        Assert.Equal("rgb(15, 20, 25)", await browser.TextAsync("getComputedStyle(document.body).backgroundColor"));

        // The page reads its data over plain HTTP: no WebSocket until a client holds one open.
        await browser.WaitForAsync(Text("conn-ws"), t => t == "0", "no WebSocket before a client connects");
        int sessions = int.Parse(await browser.WaitForAsync(Text("conn-sessions"), IsCount, "the sessions to render"), CultureInfo.InvariantCulture);
        await using (var held = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), token: Token))
        {
            await browser.WaitForAsync(Text("conn-ws"), t => t == "1", "the held client's WebSocket");
            string more = (sessions + 1).ToString(CultureInfo.InvariantCulture);
            await browser.WaitForAsync(Text("conn-sessions"), t => t == more, $"the held client's session ({sessions} before)");
        }

        await browser.WaitForAsync(Text("conn-ws"), t => t == "0", "the WebSocket gone once its client closed it");

        const int calls = 3;
        for (int i = 0; i < calls; i++)
        {
            await ChatAsync(port, "answer");
        }

        string expected = (before + calls).ToString(CultureInfo.InvariantCulture);
        await browser.WaitForAsync(Text("calls-ok"), t => t == expected, $"the completed calls to go from {before} to {expected}");
        // Rates are over the last ~5 s of readings: the calls just counted are in them.
        await browser.WaitForAsync(Text("rate-ok"), t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) && rate > 0,
            "a rate of completed calls above zero");
        // Each answer of the fake reports 12 prompt and 6 completion tokens.
        await browser.WaitForAsync(Text("usage"), t => t.Contains("openai / answer" + calls + "0" + (12 * calls) + (6 * calls) + (18 * calls), StringComparison.Ordinal),
            "the token usage of openai / answer");
        Assert.Equal(expected, await browser.TextAsync(Text("lat-all-n")));
        Assert.Matches(@"^\d+(\.\d+)? (ms|s)$", await browser.TextAsync(Text("lat-all-p50")));
        Assert.Contains("openai / answerclosed", await browser.TextAsync(Text("breakers")), StringComparison.Ordinal);
        Assert.Contains("openai4", await browser.TextAsync(Text("lanes")), StringComparison.Ordinal); // lane, slots
        Assert.Equal("memory (no REDIS_URL)", await browser.TextAsync(Text("store")));
        Assert.Equal("normal", await browser.TextAsync(Text("mem-level")));
        Assert.Equal("live", await browser.TextAsync(Text("live")));

        await SaveScreenshotAsync(browser, "dashboard.png");
    }

    [Fact]
    public async Task WithoutTheToken_ThePageAsksForIt_RefusesAWrongOne_AndShowsTheNumbersForTheRightOne()
    {
        await using var fake = FakeOpenAIServer.Start();
        await using var daemon = StartDaemon(fake);
        int port = await daemon.WaitForReadyAsync();
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"http://127.0.0.1:{port}/dashboard");
        await browser.WaitForAsync(Shown("login"), t => t == "true", "the token form");
        Assert.Equal("false", await browser.TextAsync(Shown("board")));

        await SubmitTokenAsync(browser, "not-the-token");
        await browser.WaitForAsync(Text("login-error"), t => t == "The daemon refused this token.", "the wrong token's refusal");
        Assert.Equal("false", await browser.TextAsync(Shown("board")));

        await SubmitTokenAsync(browser, Token);
        await browser.WaitForAsync(Shown("board"), t => t == "true", "the dashboard after the right token");
        await browser.WaitForAsync(Text("calls-ok"), IsCount, "the completed calls to render");
        Assert.Equal("true", await browser.TextAsync(Shown("forget")));
        await SaveScreenshotAsync(browser, "dashboard-after-login.png");
    }

    private static ExaiFastProcess StartDaemon(FakeOpenAIServer fake) => ExaiFastProcess.Start(new Dictionary<string, string>
    {
        ["EXAI_WS_TOKEN"] = Token,
        ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
        ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
        ["OPENAI_COMPATIBLE_MODELS"] = "answer",
    }, "serve", "--port", "0");

    private static async Task ChatAsync(int port, string model)
    {
        await using var client = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), token: Token);
        await client.CallAsync("c1", "chat", new JsonObject { ["prompt"] = "Say hello.", ["model"] = model });
        var result = await client.ResultAsync("c1", timeoutMs: 60_000);
        Assert.True((bool)result["ok"]!, result.ToJsonString());
    }

    private static Task SubmitTokenAsync(HeadlessChromium browser, string token) =>
        browser.EvaluateAsync($"document.getElementById('token').value = {JsonValue.Create(token).ToJsonString()}; document.getElementById('login').requestSubmit(); 'sent'");

    private static string Text(string id) => $"document.getElementById('{id}') && document.getElementById('{id}').textContent";

    // Null (not a string) until the element exists: Page.navigate returns before the page has loaded.
    private static string Shown(string id) => $"document.getElementById('{id}') && String(!document.getElementById('{id}').hidden)";

    private static bool IsCount(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static async Task SaveScreenshotAsync(HeadlessChromium browser, string name)
    {
        byte[] png = await browser.ScreenshotAsync();
        Assert.True(png.AsSpan().StartsWith((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G']), "Page.captureScreenshot returned no PNG");
        string folder = Path.Combine(RepoPaths.Root, "artifacts", "dashboard");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, name), png, TestContext.Current.CancellationToken);
    }
}
