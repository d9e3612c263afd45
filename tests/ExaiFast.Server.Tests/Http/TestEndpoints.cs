using System.Globalization;
using System.Text;
using ExaiFast.Server.Http;

namespace ExaiFast.Server.Tests.Http;

/// <summary>Endpoints the HTTP suites register: echo, event streams, and ones that misbehave.</summary>
internal sealed class TestEndpoints
{
    /// <summary>Completed with the exchange's connection id when <c>/wait-abort</c> sees RequestAborted fire.</summary>
    public TaskCompletionSource<long> Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when <c>/wait-abort</c> has its request in hand.</summary>
    public TaskCompletionSource Serving { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Opened by the test to let <c>/gate</c> answer.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyDictionary<string, IHttpEndpoint> Table => new Dictionary<string, IHttpEndpoint>
    {
        ["/gate"] = new Delegating(GateAsync),
        ["/echo-body"] = new Delegating(Echo),
        ["/stream"] = new Delegating(Stream),
        ["/flood"] = new Delegating(Flood),
        ["/wait-abort"] = new Delegating(WaitAbort),
        ["/throw"] = new Delegating(_ => throw new InvalidOperationException("boom")),
        ["/silent"] = new Delegating(_ => ValueTask.CompletedTask),
    };

    // 200 with the body, and its length and SHA-free fingerprint in headers.
    private static ValueTask Echo(HttpExchange exchange) =>
        exchange.RespondAsync(200, "application/octet-stream", exchange.Body.ToArray(),
            [new("X-Body-Length", exchange.Body.Length.ToString(CultureInfo.InvariantCulture))]);

    // /stream?n=3&delay=50&hold=0: n events {"i":k} written from worker threads (delay ms apart, after hold ms).
    private static async ValueTask Stream(HttpExchange exchange)
    {
        var query = System.Web.HttpUtility.ParseQueryString(exchange.Request.Query);
        int n = int.Parse(query["n"] ?? "3", CultureInfo.InvariantCulture);
        int delay = int.Parse(query["delay"] ?? "0", CultureInfo.InvariantCulture);
        int hold = int.Parse(query["hold"] ?? "0", CultureInfo.InvariantCulture);
        var stream = await exchange.StartEventStreamAsync([new("X-Stream", "yes")]);
        await Task.Run(async () =>
        {
            await Task.Delay(hold, exchange.RequestAborted);
            for (int i = 0; i < n; i++)
            {
                await Task.Delay(delay, exchange.RequestAborted);
                await stream.WriteEventAsync(Encoding.UTF8.GetBytes($"{{\"i\":{i}}}"), id: i.ToString(CultureInfo.InvariantCulture));
            }
        });
        await stream.CompleteAsync();
    }

    // /flood: 64 KiB events as fast as the connection takes them, until the request is aborted.
    private static async ValueTask Flood(HttpExchange exchange)
    {
        var stream = await exchange.StartEventStreamAsync();
        byte[] data = new byte[64 * 1024];
        data.AsSpan().Fill((byte)'x');
        while (!exchange.RequestAborted.IsCancellationRequested && !stream.IsCompleted)
        {
            await stream.WriteEventAsync(data);
        }
    }

    // /gate: holds its request (Serving says so) until the test opens the gate, then answers 200 "done".
    private async ValueTask GateAsync(HttpExchange exchange)
    {
        Serving.TrySetResult();
        await Gate.Task;
        await exchange.RespondAsync(200, "text/plain", "done"u8.ToArray());
    }

    private async ValueTask WaitAbort(HttpExchange exchange)
    {
        Serving.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, exchange.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            Aborted.TrySetResult(exchange.ConnectionId);
            throw;
        }
    }

    private sealed class Delegating(Func<HttpExchange, ValueTask> handle) : IHttpEndpoint
    {
        public ValueTask HandleAsync(HttpExchange exchange) => handle(exchange);
    }
}
