using System.Net;

namespace ExaiFast.Testing;

/// <summary>
/// A daemon is ready when it answers <c>GET /ready</c> with 200 — not when something accepts on its port, which a
/// process that took a freed port, or a listener whose accept loop has not started, also does.
/// </summary>
public static class Readiness
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Asks <c>/ready</c> on 127.0.0.1:<paramref name="port"/> until it says 200; fails if the process exits first.</summary>
    public static async Task WaitAsync(int port, Func<bool> exited, Func<string> log, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var uri = new Uri($"http://127.0.0.1:{port}/ready");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string last = "no answer";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(uri, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                last = ex.Message; // the 5 s request timeout
            }

            if (exited() || clock.Elapsed > Deadline)
            {
                throw new InvalidOperationException($"the daemon on port {port} never answered /ready with 200 (last: {last}); its log:\n{log()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
