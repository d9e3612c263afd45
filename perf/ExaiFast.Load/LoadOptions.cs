using System.Globalization;

namespace ExaiFast.Load;

/// <summary>Command-line options of the load generator (<c>--name value</c> pairs).</summary>
internal sealed record LoadOptions(string Mode, string Target, int Connections, int Size, TimeSpan Duration, TimeSpan Warmup, string Label)
{
    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            throw new ArgumentException(Usage);
        }

        var map = new Dictionary<string, string>();
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value at '{args[i]}'\n{Usage}");
            }

            map[args[i][2..]] = args[i + 1];
        }

        string Get(string k, string d) => map.TryGetValue(k, out var v) ? v : d;
        return new LoadOptions(
            args[0],
            Get("target", string.Empty),
            int.Parse(Get("connections", "16"), CultureInfo.InvariantCulture),
            int.Parse(Get("size", "32"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Get("duration", "5"), CultureInfo.InvariantCulture)),
            TimeSpan.FromSeconds(double.Parse(Get("warmup", "1"), CultureInfo.InvariantCulture)),
            Get("label", args[0]));
    }

    public const string Usage = """
        usage:
          exaifast-load ws  --target ws://127.0.0.1:8079/ [--connections 16] [--size 32] [--duration 5] [--warmup 1] [--label name]
          exaifast-load call --target ws://127.0.0.1:8079/   (exai-ws call_tool 'chat' with a --size-byte prompt, local model)
          exaifast-load mcp  --target ws://127.0.0.1:8079/   (the same call as MCP tools/call over WebSocket, subprotocol mcp)
          exaifast-load mcp-http --target http://127.0.0.1:8079/mcp   (MCP tools/call over Streamable HTTP, keep-alive, stateless)
          exaifast-load tcp --target 127.0.0.1:9000      (same options; raw TCP echo: the kernel's ceiling)
          exaifast-load tcp-echo-server [--target 127.0.0.1:0]   (prints 'listening PORT', echoes bytes)
        Each connection runs a closed loop: send a message of --size bytes, wait for its echo, record the round trip.
        """;
}
