using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol.Server;

// The official MCP C# SDK as a developer would host it: ASP.NET Core + ModelContextProtocol.AspNetCore, stateless
// Streamable HTTP, one instant tool `chat` that answers like ExaiFast's offline `local` model (no latency).
// The ".NET SDK default" baseline for MCP tools/call benchmarks.
// Usage: dotnet McpSdkHttpServer.dll --port 8931   (or PORT=8931); listens on http://127.0.0.1:PORT/ (the MCP endpoint is /).
int port = 8931;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--port")
    {
        port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    }
}

if (!args.Contains("--port") && Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } portVariable)
{
    port = int.Parse(portVariable, CultureInfo.InvariantCulture);
}

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Services.AddMcpServer(options => options.ServerInfo = new() { Name = "mcp-sdk-http-baseline", Version = "1.0.0" })
    .WithHttpTransport(options => options.Stateless = true)
    .WithTools<ChatTool>();

var app = builder.Build();
app.MapMcp();
// Given port 0, Kestrel takes a free port from the OS; this line tells the launcher which, once it accepts
// (the same shape as the daemon's own "Listening on" log line). A port chosen beforehand could be taken meanwhile.
await app.StartAsync();
Console.WriteLine($"Listening on {app.Urls.First()} (kestrel)");
await app.WaitForShutdownAsync();

/// <summary>The benchmark tool.</summary>
[McpServerToolType]
internal sealed class ChatTool
{
    /// <summary>Answers at once with a labelled echo of the prompt, like ExaiFast's offline local model.</summary>
    [McpServerTool(Name = "chat"), Description("Echo the prompt at once (offline baseline).")]
    public static string Chat([Description("The prompt.")] string prompt)
    {
        var trimmed = prompt.AsSpan().Trim();
        bool cut = trimmed.Length > 200;
        var excerpt = cut ? trimmed[..200] : trimmed;
        return $"[offline local model — no API key configured; this is not an AI answer] Received {trimmed.Length} characters. You wrote: \"{excerpt}{(cut ? "…" : "")}\"";
    }
}
