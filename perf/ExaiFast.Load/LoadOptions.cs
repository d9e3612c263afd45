using System.Globalization;

namespace ExaiFast.Load;

/// <summary>Command-line options of the load generator: a mode, then <c>--name value</c> pairs.</summary>
internal sealed record LoadOptions
{
    private static readonly string[] Modes = ["ws", "tcp", "call", "ping", "mcp", "mcp-http", "chat-http", "idle", "tcp-echo-server"];
    private static readonly string[] Names = ["target", "connections", "size", "duration", "warmup", "label", "rate", "probe", "max-outstanding", "drain", "server-pid", "format", "tool-latency-ms", "turns", "measure-from", "header", "stream"];

    public required string Mode { get; init; }

    public string Target { get; init; } = string.Empty;

    public int Connections { get; init; } = 16;

    public int Size { get; init; } = 32;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    public string Label { get; init; } = string.Empty;

    /// <summary>Open loop when set; closed loop (one request per connection at a time) when null.</summary>
    public RateSpec? Rate { get; init; }

    /// <summary>How long the closed-loop probe runs when the rate is a multiple of capacity.</summary>
    public TimeSpan Probe { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Open loop: requests a connection may have waiting before the next due one is dropped (a bound on the generator's memory, not on the server).</summary>
    public int MaxOutstanding { get; init; } = 1000;

    /// <summary>Open loop: how long to wait for the last answers after the schedule ends.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>call and mcp: the chat tool's local_latency_ms, so the daemon's capacity is its workers', not its CPU.</summary>
    public int ToolLatencyMs { get; init; }

    /// <summary>call: conversations of this many turns — each connection's first call opens a thread, the next ones pass its
    /// continuation_id, then it starts over; 0 (the default): every call stands alone.</summary>
    public int Turns { get; init; }

    /// <summary>Closed loop: the window opens at the first send (<c>--measure-from start</c>, the warm-up ignored) instead of
    /// after the warm-up and every connection's first answer, so a fresh server's first calls, jitting included, count.</summary>
    public bool MeasureFromStart { get; init; }

    public int? ServerPid { get; init; }

    /// <summary>chat-http: ask for a streamed answer (the default, as ExaiFast asks its model servers) or one JSON body.</summary>
    public bool ChatStream { get; init; } = true;

    /// <summary>mcp-http, chat-http: extra request header lines (<c>--header "name: value"</c>, repeatable).</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];

    public bool Json { get; init; }

    public bool IsEcho => Mode is "ws" or "tcp";

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            throw new ArgumentException(Usage);
        }

        if (!Modes.Contains(args[0]))
        {
            throw new ArgumentException($"unknown mode '{args[0]}'\n{Usage}");
        }

        var map = new Dictionary<string, string>();
        var headers = new List<string>();
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value at '{args[i]}'\n{Usage}");
            }

            string name = args[i][2..];
            if (!Names.Contains(name))
            {
                throw new ArgumentException($"unknown option '--{name}'\n{Usage}");
            }

            if (name == "header")
            {
                headers.Add(args[i + 1].Contains(':', StringComparison.Ordinal) ? args[i + 1] : throw new ArgumentException($"--header takes 'name: value', not '{args[i + 1]}'"));
            }

            map[name] = args[i + 1];
        }

        string? Get(string k) => map.TryGetValue(k, out var v) ? v : null;
        var options = new LoadOptions
        {
            Mode = args[0],
            Target = Get("target") ?? string.Empty,
            Connections = Int(Get("connections") ?? "16", "connections", 1),
            Size = Int(Get("size") ?? "32", "size", 1),
            Duration = Seconds(Get("duration") ?? "5", "duration", allowZero: false),
            Warmup = Seconds(Get("warmup") ?? "1", "warmup", allowZero: true),
            Label = Get("label") ?? args[0],
            Rate = Get("rate") is { } rate ? RateSpec.Parse(rate) : null,
            Probe = Seconds(Get("probe") ?? "1", "probe", allowZero: false),
            MaxOutstanding = Int(Get("max-outstanding") ?? "1000", "max-outstanding", 1),
            Drain = Seconds(Get("drain") ?? "2", "drain", allowZero: true),
            ToolLatencyMs = Get("tool-latency-ms") is { } ms ? Int(ms, "tool-latency-ms", 0) : 0,
            ServerPid = Get("server-pid") is { } pid ? Int(pid, "server-pid", 1) : null,
            Turns = Get("turns") is { } turns ? Int(turns, "turns", 1) : 0,
            Headers = headers,
            ChatStream = (Get("stream") ?? "yes") switch
            {
                "yes" => true,
                "no" => false,
                var v => throw new ArgumentException($"--stream is yes or no, not '{v}'"),
            },
            MeasureFromStart = (Get("measure-from") ?? "warm") switch
            {
                "warm" => false,
                "start" => true,
                var m => throw new ArgumentException($"--measure-from is warm or start, not '{m}'"),
            },
            Json = (Get("format") ?? "markdown") switch
            {
                "markdown" => false,
                "json" => true,
                var f => throw new ArgumentException($"--format is markdown or json, not '{f}'"),
            },
        };

        if (options.Mode != "tcp-echo-server" && options.Target.Length == 0)
        {
            throw new ArgumentException($"--target is required for mode {options.Mode}\n{Usage}");
        }

        if (options.IsEcho && options.Size < 8)
        {
            throw new ArgumentException("--size must be at least 8 for echo modes: the first 8 bytes carry the request number");
        }

        if (options.Rate is not null && options.Mode is "idle" or "tcp-echo-server")
        {
            throw new ArgumentException($"--rate does not apply to mode {options.Mode}");
        }

        if (options.MeasureFromStart && (options.Rate is not null || options.Mode is "idle" or "tcp-echo-server"))
        {
            throw new ArgumentException("--measure-from start applies to a closed loop");
        }

        if (options.Turns > 0 && (options.Mode != "call" || options.Rate is not null))
        {
            throw new ArgumentException("--turns applies to mode call in a closed loop (a turn needs the answer before it)");
        }

        return options;
    }

    private static int Int(string text, string name, int min) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min
            ? v
            : throw new ArgumentException($"--{name} must be an integer ≥ {min}, not '{text}'");

    private static TimeSpan Seconds(string text, string name, bool allowZero) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && (v > 0 || (allowZero && v == 0)) && v < 86_400
            ? TimeSpan.FromSeconds(v)
            : throw new ArgumentException($"--{name} must be a number of seconds {(allowZero ? "≥ 0" : "> 0")}, not '{text}'");

    public const string Usage = """
        usage: exaifast-load MODE --target T [options]
        modes:
          ws        --target ws://127.0.0.1:8079/echo   WebSocket echo of --size bytes
          tcp       --target 127.0.0.1:9000             raw TCP echo (the kernel's ceiling)
          call      --target ws://127.0.0.1:8079/       exai-ws call_tool chat (--size-char prompt, local model) → ack + result
          ping      --target ws://127.0.0.1:8079/       exai-ws ping → pong
          mcp       --target ws://127.0.0.1:8079/       MCP tools/call chat over WebSocket (subprotocol mcp)
          mcp-http  --target http://127.0.0.1:8079/mcp  MCP tools/call over Streamable HTTP (keep-alive, stateless)
          chat-http --target http://127.0.0.1:8000/v1/chat/completions
                                                        the streamed chat/completions request ExaiFast sends its model
                                                        server (--size-char prompt), straight or through a gateway (--header)
          idle      --target ws://127.0.0.1:8079/       open --connections exai-ws connections + hello, hold them --duration s,
                                                        then report the server's RSS per connection (needs --server-pid)
          tcp-echo-server [--target 127.0.0.1:0]        serve the raw TCP echo (prints 'listening PORT')
        options:
          --connections 16  --size 32  --duration 5  --warmup 1  --label NAME  --format markdown|json
          --turns N         call: conversations of N turns (continuation_id from each answer passed to the next call)
          --server-pid PID  the server's CPU (and, for idle, RSS) from /proc, per call
          --header "name: value"  mcp-http, chat-http: an extra request header (repeatable)
          --stream yes      chat-http: ask for a streamed answer (yes) or one JSON body (no)
          --measure-from warm  closed loop: the window opens after --warmup and every connection's first answer (warm),
                            or at the first send (start: a fresh server's first calls count; --warmup is ignored)
          --rate N | Nx     open loop: N calls/s in total, or N × the capacity a closed-loop --probe (1 s) measures;
                            latency counts from each call's intended send time (no coordinated omission)
          --max-outstanding 1000  open loop: per connection; a due call beyond it is dropped and counted
          --tool-latency-ms 0  call, mcp: the local model takes this long per call (overload at a capacity the generator can outrun)
          --drain 2         open loop: seconds to wait for the last answers; what is still missing is 'lost'
        Without --rate each connection runs a closed loop: send, wait for the answer, send again.
        Every mode prints p50/p90/p99/p99.9/max, calls/s, and CPU of the server (--server-pid) and the generator.
        """;
}
