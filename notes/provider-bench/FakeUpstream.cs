// A 0 ms OpenAI-compatible upstream for measuring the provider path: answers every POST /v1/chat/completions with
// CHUNKS streamed SSE chunks (no delay), a finish chunk, usage and [DONE].
using System.Text;
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
int chunks = int.Parse(Environment.GetEnvironmentVariable("CHUNKS") ?? "8");
var pieces = Enumerable.Range(0, chunks).Select(i => Encoding.UTF8.GetBytes($"data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i} \"}}}}]}}\n\n")).ToArray();
var end = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":" + chunks + "}}\n\ndata: [DONE]\n\n");
app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
{
    using var reader = new StreamReader(ctx.Request.Body);
    await reader.ReadToEndAsync();
    ctx.Response.ContentType = "text/event-stream";
    foreach (var p in pieces) { await ctx.Response.Body.WriteAsync(p); await ctx.Response.Body.FlushAsync(); }
    await ctx.Response.Body.WriteAsync(end);
});
app.Run();
