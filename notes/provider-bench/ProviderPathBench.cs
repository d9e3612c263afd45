using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Models.OpenAICompatible;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;

var baseUrl = new Uri(args[0]);
int n = int.Parse(args.Length > 1 ? args[1] : "5000");
int chunks = int.Parse(Environment.GetEnvironmentVariable("CHUNKS") ?? "8");

var services = new ServiceCollection();
var options = new OpenAICompatibleOptions { Name = "openai", BaseUrl = baseUrl, ApiKey = "sk-bench", KeySetting = "K", Models = KnownModels.Named(["bench"]) };
services.AddProviderHttpClient(options);
services.AddHttpClient("plain").ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
var sp = services.BuildServiceProvider();
var factory = sp.GetRequiredService<IHttpClientFactory>();
var ours = new OpenAICompatibleProvider(options, factory);
var local = new LocalModelProvider(TimeSpan.Zero);
var request = ModelRequest.FromPrompt(null, "You are a senior engineer.", "Say hello in a few words, please.");

var plainClient = factory.CreateClient("plain");
var meai = new OpenAI.Chat.ChatClient("bench", new ApiKeyCredential("sk-bench"),
    new OpenAIClientOptions { Endpoint = baseUrl, Transport = new HttpClientPipelineTransport(plainClient), RetryPolicy = new ClientRetryPolicy(0) }).AsIChatClient();
Microsoft.Extensions.AI.ChatMessage[] meaiMessages = [new(Microsoft.Extensions.AI.ChatRole.System, "You are a senior engineer."), new(Microsoft.Extensions.AI.ChatRole.User, "Say hello in a few words, please.")];
var body = System.Text.Encoding.UTF8.GetBytes("{\"model\":\"bench\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a senior engineer.\"},{\"role\":\"user\",\"content\":\"Say hello in a few words, please.\"}],\"stream\":true}");
var endpoint = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/chat/completions");

async Task<int> Local() => (await local.CompleteAsync(request, null, default)).Text.Length;
async Task<int> Ours() => (await ours.CompleteAsync(request, null, default)).Text.Length;
async Task<int> OursStreaming() { int c = 0; await ours.CompleteAsync(request, _ => c++, default); return c; }
async Task<int> Raw()
{
    using var msg = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
    msg.Headers.TryAddWithoutValidation("Authorization", "Bearer sk-bench");
    using var resp = await plainClient.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
    using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
    int lines = 0;
    while (await reader.ReadLineAsync() is { } line) { if (line.StartsWith("data:", StringComparison.Ordinal)) lines++; }
    return lines;
}
async Task<int> Meai()
{
    int c = 0;
    await foreach (var update in meai.GetStreamingResponseAsync(meaiMessages)) { if (update.Text.Length > 0) c++; }
    return c;
}

var cases = new (string Name, Func<Task<int>> Run)[] { ("local model (0 ms)", Local), ("raw HttpClient + StreamReader (no resilience)", Raw), ("ExaiFast OpenAICompatibleProvider", Ours), ("ExaiFast provider, streaming callback", OursStreaming), ("M.E.AI IChatClient (OpenAI 2.15 SDK), streaming", Meai) };
foreach (var (name, run) in cases) { for (int i = 0; i < Math.Min(2000, n / 2); i++) await run(); } // warm up (JIT tiers, pooled connection)
Console.WriteLine($"sequential calls, {n} each, {chunks} upstream chunks per answer, fake upstream at 0 ms (ASP.NET Core, other core)");
Console.WriteLine("| path | µs/call (wall) | CPU µs/call (this process) | bytes allocated/call | upstream chunks/s |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (name, run) in cases)
{
    for (int round = 0; round < 2; round++)
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) await run();
        sw.Stop();
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        if (round == 1)
            Console.WriteLine($"| {name} | {sw.Elapsed.TotalMicroseconds / n:0.0} | {cpu.TotalMicroseconds / n:0.0} | {alloc / n:N0} | {(name.StartsWith("local") ? "–" : $"{n * (double)chunks / sw.Elapsed.TotalSeconds:N0}")} |");
    }
}
