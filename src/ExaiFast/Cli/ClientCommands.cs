using System.CommandLine;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExaiFast.Cli;

/// <summary><c>exaifast call</c>, <c>exaifast tools</c> and <c>exaifast threads</c>: talk to a running daemon over exai-ws.</summary>
internal static class ClientCommands
{
    /// <summary>Exit code when the daemon can't be reached.</summary>
    public const int ExitUnreachable = 3;

    /// <summary>Exit code after Ctrl-C (128 + SIGINT, as a shell reports a process SIGINT ended).</summary>
    public const int ExitInterrupted = 130;

    public static IEnumerable<Command> Create(IReadOnlyDictionary<string, string> environment, TextWriter stdout, TextWriter stderr)
    {
        string host = environment.GetValueOrDefault("EXAI_WS_HOST") is { Length: > 0 } h && h is not ("0.0.0.0" or "::") ? h : "127.0.0.1";
        string port = environment.GetValueOrDefault("EXAI_WS_PORT") is { Length: > 0 } p ? p : "8079";
        var url = new Option<string>("--url") { Description = "The daemon's WebSocket URL (default from EXAI_WS_HOST/EXAI_WS_PORT).", DefaultValueFactory = _ => $"ws://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/" };
        string? token = environment.GetValueOrDefault("EXAI_WS_TOKEN");

        var tools = new Command("tools", "List the tools of a running daemon.");
        var json = new Option<bool>("--json") { Description = "Print the raw list_tools_res frame." };
        var size = new Option<bool>("--size")
        {
            Description = "Print the size of the MCP tools/list answer (bytes, ~tokens at 4 characters each) for the full and lean profiles and for the tools EXAIFAST_TOOLS and DISABLED_TOOLS select; needs no daemon.",
        };
        tools.Add(url);
        tools.Add(json);
        tools.Add(size);
        tools.SetAction(async (parse, ct) => parse.GetValue(size) ? await ToolListSize.PrintAsync(environment, stdout, stderr).ConfigureAwait(false) : await WithClientAsync(parse.GetValue(url)!, token, stderr, ct, async client =>
        {
            await client.SendAsync(new JsonObject { ["op"] = "list_tools", ["request_id"] = "tools" }, ct).ConfigureAwait(false);
            var res = await client.ReceiveAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(res?.ToJsonString()).ConfigureAwait(false);
                return 0;
            }

            foreach (var tool in res?["tools"]?.AsArray() ?? [])
            {
                string description = (string?)tool!["description"] ?? string.Empty;
                int dot = description.IndexOf(". ", StringComparison.Ordinal);
                await stdout.WriteLineAsync($"{(string?)tool["name"],-12} {(dot > 0 ? description[..(dot + 1)] : description)}").ConfigureAwait(false);
            }

            return 0;
        }).ConfigureAwait(false));

        var call = new Command("call", "Call a tool on a running daemon; prints progress to stderr and the result to stdout.");
        var name = new Argument<string>("tool") { Description = "The tool's name (see 'exaifast tools')." };
        var args = new Option<string[]>("--arg", "-a") { Description = "An argument as key=value (value parsed as JSON when it is a number, true/false, {…} or […]). Repeatable.", AllowMultipleArgumentsPerToken = false };
        var argsJson = new Option<string?>("--json-args") { Description = "All arguments as one JSON object (merged under --arg)." };
        var stream = new Option<bool>("--stream") { Description = "Ask for streamed output and print it as it arrives." };
        var raw = new Option<bool>("--raw") { Description = "Print the final call_tool_res frame as JSON instead of its text." };
        call.Add(name);
        call.Add(args);
        call.Add(argsJson);
        call.Add(stream);
        call.Add(raw);
        call.Add(url);
        call.SetAction(async (parse, ct) =>
        {
            JsonObject arguments;
            try
            {
                arguments = parse.GetValue(argsJson) is { } text ? JsonNode.Parse(text)?.AsObject() ?? [] : [];
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                await stderr.WriteLineAsync($"exaifast: --json-args is not a JSON object: {ex.Message}").ConfigureAwait(false);
                return ExaiFastCli.ExitConfig;
            }

            foreach (string a in parse.GetValue(args) ?? [])
            {
                if (!DaemonClient.TryParseArgument(a, out string key, out var value))
                {
                    await stderr.WriteLineAsync($"exaifast: --arg '{a}' is not key=value").ConfigureAwait(false);
                    return ExaiFastCli.ExitConfig;
                }

                arguments[key] = value;
            }

            if (parse.GetValue(stream))
            {
                arguments["stream"] = true;
            }

            // System.CommandLine's Ctrl-C handling is off for the whole CLI (ExaiFastCli: it would end `serve` after 2 s),
            // so `call` takes SIGINT itself. Without this, Ctrl-C killed the process and the daemon's work ran on until
            // the disconnect grace ended. A second Ctrl-C is not held back.
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = !interrupted.IsCancellationRequested;
                interrupted.Cancel();
            });
            try
            {
                return await WithClientAsync(parse.GetValue(url)!, token, stderr, interrupted.Token, client => CallAsync(client, parse.GetValue(name)!, arguments, parse.GetValue(raw), stdout, stderr, interrupted.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
            {
                // Ctrl-C while connecting or saying hello: no call was sent, so there is nothing to cancel. Left to
                // System.CommandLine, the exception would be exit 1 with nothing said.
                await stderr.WriteLineAsync("exaifast: cancelled").ConfigureAwait(false);
                return ExitInterrupted;
            }
        });

        return [tools, call, ThreadsCommand.Create(url, token, stdout, stderr)];
    }

    private static async Task<int> CallAsync(DaemonClient client, string tool, JsonObject arguments, bool raw, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string requestId = Guid.NewGuid().ToString("N");
        // Sent without the token: a send cancelled by it aborts the socket, and may throw after its bytes went out (its
        // flush sees the token), so a Ctrl-C a moment after the daemon got the call ended the CLI with exit 1, the call
        // running on and no cancel sent. Waiting for the send is what Ctrl-C stops; the cancel is then sent behind it.
        try
        {
            await client.SendAsync(new JsonObject { ["op"] = "call_tool", ["request_id"] = requestId, ["name"] = tool, ["arguments"] = arguments }, CancellationToken.None)
                .WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return await CancelAsync(client, requestId, client.ReceiveAsync(CancellationToken.None), stderr).ConfigureAwait(false);
        }

        bool streamed = false;
        while (true)
        {
            JsonObject? frame;
            // Not cancelled through its token: a ClientWebSocket whose receive is cancelled is aborted, and the cancel
            // below could not be sent any more. The receive is left pending instead.
            var receive = client.ReceiveAsync(CancellationToken.None);
            try
            {
                frame = await receive.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return await CancelAsync(client, requestId, receive, stderr).ConfigureAwait(false);
            }

            if (frame is null)
            {
                await stderr.WriteLineAsync("exaifast: the daemon closed the connection before answering").ConfigureAwait(false);
                return ExitUnreachable;
            }

            switch ((string?)frame["op"])
            {
                case "call_tool_ack":
                    await stderr.WriteLineAsync($"… accepted ({(string?)frame["name"]}, deadline {(double?)frame["timeout"]} s)").ConfigureAwait(false);
                    break;
                case "progress":
                    await stderr.WriteLineAsync($"… {(double?)frame["elapsed_ms"]:0} ms{((string?)frame["message"] is { } m ? ": " + m : string.Empty)}").ConfigureAwait(false);
                    break;
                case "stream_chunk":
                    streamed = true;
                    await stdout.WriteAsync((string?)frame["chunk"]).ConfigureAwait(false);
                    break;
                case "call_tool_res":
                    if (raw)
                    {
                        await stdout.WriteLineAsync(frame.ToJsonString()).ConfigureAwait(false);
                    }
                    else if (frame["ok"]?.GetValue<bool>() == true)
                    {
                        await stdout.WriteLineAsync(streamed ? string.Empty : (string?)frame["text"]).ConfigureAwait(false);

                        // The text alone does not say which thread it began or continued, and the next call of a
                        // conversation or workflow needs it: said on stderr, so stdout stays the answer alone.
                        if ((string?)frame["continuation_id"] is { Length: > 0 } thread)
                        {
                            await stderr.WriteLineAsync($"… continue with -a continuation_id={thread}").ConfigureAwait(false);
                        }
                    }

                    if (frame["ok"]?.GetValue<bool>() != true)
                    {
                        var error = frame["error"];
                        await stderr.WriteLineAsync($"exaifast: {(string?)error?["code"]}: {(string?)error?["message"]}").ConfigureAwait(false);
                        return 1;
                    }

                    return 0;
                case "error":
                    await stderr.WriteLineAsync($"exaifast: {(string?)frame["error"]?["code"]}: {(string?)frame["error"]?["message"]}").ConfigureAwait(false);
                    return 1;
            }
        }
    }

    /// <summary>Ctrl-C: tells the daemon so the work really stops, and waits briefly for it to say so.</summary>
    private static async Task<int> CancelAsync(DaemonClient client, string requestId, Task<JsonObject?> pending, TextWriter stderr)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.SendAsync(new JsonObject { ["op"] = "cancel", ["request_id"] = requestId }, grace.Token).ConfigureAwait(false);
            for (var frame = await pending.WaitAsync(grace.Token).ConfigureAwait(false);
                 frame is not null && (string?)frame["op"] is not ("cancelled" or "call_tool_res" or "error");
                 frame = await client.ReceiveAsync(grace.Token).ConfigureAwait(false))
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // the daemon did not confirm in time, or went away: it cancels the call itself after the disconnect grace
        }

        await stderr.WriteLineAsync("exaifast: cancelled").ConfigureAwait(false);
        return ExitInterrupted;
    }

    internal static async Task<int> WithClientAsync(string url, string? token, TextWriter stderr, CancellationToken ct, Func<DaemonClient, Task<int>> body)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            await stderr.WriteLineAsync($"exaifast: --url '{url}' is not a ws:// or wss:// URL").ConfigureAwait(false);
            return ExaiFastCli.ExitConfig;
        }

        DaemonClient client;
        try
        {
            client = await DaemonClient.ConnectAsync(uri, token, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or InvalidOperationException or HttpRequestException)
        {
            await stderr.WriteLineAsync($"exaifast: cannot reach the daemon at {uri}: {ex.Message} (is 'exaifast serve' running?)").ConfigureAwait(false);
            return ExitUnreachable;
        }

        await using (client)
        {
            return await body(client).ConfigureAwait(false);
        }
    }
}
