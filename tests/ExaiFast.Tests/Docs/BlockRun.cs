using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ExaiFast.Testing;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// Runs the lines of one fenced block in order, as a reader would: each <c>exaifast serve</c> line started with its
/// settings; the client lines (<c>call</c>, <c>tools</c>, <c>threads</c>) against the daemon of the block's serve
/// lines taken together (a block of alternatives — Kimi, GLM, Ollama — then calls that use them), or a plain daemon
/// when the block starts none; a later call's <c>&lt;id&gt;</c> is the thread an earlier one printed.
/// </summary>
internal sealed partial class BlockRun(ReadersMachine machine, IReadOnlyList<DocumentedCommand> lines)
{
    private static readonly IReadOnlyDictionary<string, string> Plain = new Dictionary<string, string> { ["EXAI_WS_PORT"] = "0" };

    private IReadOnlyDictionary<string, string>? _clientSettings;
    private string? _thread;

    public async Task RunAsync(DocumentedCommand c)
    {
        switch (c.Program)
        {
            case "exaifast" when c.Arguments is ["serve", ..]:
                await ServeAsync(c);
                break;
            case "exaifast":
                await ExaiFastAsync(c);
                break;
            case "claude":
                await ClaudeAsync(c);
                break;
            case "curl" or "node":
                await AgainstThePlainDaemonAsync(c);
                break;
            case "ollama":
                // Not here. What can be checked: the URL it serves is the one the block's openai line uses.
                string url = Url().Match(c.Comment).Value;
                Assert.True(url.Length > 0, "its comment names no URL of the API it serves");
                Assert.Contains(url, lines.Where(IsServe).Select(s => s.Environment.FirstOrDefault(e => e.Key == "OPENAI_COMPATIBLE_BASE_URL").Value));
                break;
            case "dotnet" or "bash":
                await RepositoryToolAsync(c);
                break;
            default:
                throw new InvalidOperationException($"no way to run a {c.Program} line");
        }
    }

    private static bool IsServe(DocumentedCommand c) => c.Program == "exaifast" && c.Arguments is ["serve", ..];

    // -- exaifast serve ---------------------------------------------------------------------------------------------

    private async Task ServeAsync(DocumentedCommand c)
    {
        var (documented, settings, rehosted) = await SettingsAsync(c);
        if (rehosted)
        {
            // Run on loopback, as tests are; the documented address is checked the way serve checks it, without binding.
            var check = await ProgramRun.ExaiFastAsync(["check-config"], documented, machine.Directory);
            Assert.True(check.Code == 0, $"check-config with the documented settings: exit {check.Code}\n{check.Stderr}");
        }

        var daemon = await machine.DaemonAsync(settings, Flags(c));
        var client = ClientEnvironment(daemon, settings);

        // "the daemon on 127.0.0.1:8079": where it listens with the documented settings, as check-config shows.
        if (HostAndPort().Match(c.Comment) is { Success: true } address)
        {
            Assert.Equal((address.Groups[1].Value, address.Groups[2].Value), await AddressAsync(documented));
        }

        // What the line's comment promises and is cheap to see.
        if (settings.TryGetValue("EXAIFAST_TOOLS", out string? profile))
        {
            var tools = await ToolNamesAsync(client);
            if (LeanCount().Match(c.Comment) is { Success: true } lean)
            {
                Assert.Equal(int.Parse(lean.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), tools.Count);
            }
            else if (profile != "full")
            {
                Assert.Equal(profile.Split(',').Order(StringComparer.Ordinal), tools.Order(StringComparer.Ordinal));
            }
        }

        if (settings.TryGetValue("DISABLED_TOOLS", out string? disabled))
        {
            var tools = await ToolNamesAsync(client);
            var hidden = disabled.Split(',', StringSplitOptions.TrimEntries);
            Assert.Empty(tools.Intersect(hidden));
            Assert.Equal(ExpectedTools.Names.Except(hidden), tools);
        }

        if (settings.ContainsKey("EXAIFAST_OAUTH_ISSUER"))
        {
            // /mcp asks for a token and says where to learn how; the metadata names the documented issuer and resource.
            using var http = new HttpClient();
            using var challenge = await http.PostAsync(McpUri(daemon, "/mcp"), InitializeBody(), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
            Assert.Contains("resource_metadata=", challenge.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            string metadata = await http.GetStringAsync(McpUri(daemon, "/.well-known/oauth-protected-resource/mcp"), TestContext.Current.CancellationToken);
            Assert.Contains(settings["EXAIFAST_OAUTH_ISSUER"], metadata, StringComparison.Ordinal);
            Assert.Contains(settings["EXAIFAST_OAUTH_AUDIENCE"], metadata, StringComparison.Ordinal);
        }

        if (settings.GetValueOrDefault("MCP_PROMPT_SIZE_LIMIT") == "0")
        {
            // "prompts of any length": one past the default limit is answered over MCP, not sent back.
            string text = await McpCallTextAsync(daemon, "chat", new string('x', 70_000));
            Assert.DoesNotContain("resend_prompt", text, StringComparison.Ordinal);
            Assert.Contains("70000 characters", text, StringComparison.Ordinal);
        }

        if (settings.Keys.Any(k => k.EndsWith("_ALLOWED_MODELS", StringComparison.Ordinal)) || settings.ContainsKey("EXAIFAST_MODELS_FILE"))
        {
            var models = await ProgramRun.ExaiFastAsync(["call", "listmodels"], client, machine.Directory);
            Assert.True(models.Code == 0, models.Stderr);
            foreach (string list in settings.Keys.Where(k => k.EndsWith("_ALLOWED_MODELS", StringComparison.Ordinal)))
            {
                Assert.Contains($"{list} is in force", models.Stdout, StringComparison.Ordinal);
            }

            // The file's models show under the providers they belong to: with none configured, listmodels shows none.
            if (settings.ContainsKey("EXAIFAST_MODELS_FILE") && Providers(settings).Any(p => p != "local"))
            {
                Assert.Contains("from EXAIFAST_MODELS_FILE", models.Stdout, StringComparison.Ordinal);
            }
        }
    }

    // The settings of a serve line: as documented (placeholders filled), and as run here (providers at the fake model
    // API, Redis the real local one, loopback, an OS-assigned port).
    private async Task<(Dictionary<string, string> Documented, Dictionary<string, string> Run, bool Rehosted)> SettingsAsync(DocumentedCommand c)
    {
        var documented = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in c.Environment)
        {
            documented[name] = value.Contains('…', StringComparison.Ordinal) ? Placeholder(name) : value;
        }

        var settings = new Dictionary<string, string>(documented, StringComparer.Ordinal);
        foreach (string provider in (string[])["KIMI", "GLM"])
        {
            if (settings.ContainsKey($"{provider}_API_KEY"))
            {
                settings[$"{provider}_API_URL"] = machine.ModelsUrl;
            }
        }

        if (settings.ContainsKey("OPENAI_COMPATIBLE_BASE_URL"))
        {
            settings["OPENAI_COMPATIBLE_BASE_URL"] = machine.ModelsUrl;
            foreach (string model in settings.GetValueOrDefault("OPENAI_COMPATIBLE_MODELS", string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                machine.Models.Behaviors[model] = "stream";
            }
        }

        if (settings.ContainsKey("REDIS_URL"))
        {
            settings["REDIS_URL"] = await machine.RedisUrlAsync();
        }

        // Tests listen on loopback only: a documented wildcard address is run on 127.0.0.1 (and checked as documented).
        bool rehosted = settings.TryGetValue("EXAI_WS_HOST", out string? host) && host is not ("127.0.0.1" or "localhost" or "::1");
        if (rehosted)
        {
            settings["EXAI_WS_HOST"] = "127.0.0.1";
        }

        settings["EXAI_WS_PORT"] = "0";
        return (documented, settings, rehosted);
    }

    // serve's flags as documented, but for the address: loopback and a port the OS picks, as for the settings.
    private static List<string> Flags(DocumentedCommand serve)
    {
        var flags = serve.Arguments.Skip(1).ToList();
        for (int i = 0; i + 1 < flags.Count; i++)
        {
            flags[i + 1] = flags[i] switch
            {
                "--port" => "0",
                "--host" => "127.0.0.1",
                _ => flags[i + 1],
            };
        }

        return flags;
    }

    private static string Placeholder(string name) => name switch
    {
        "EXAI_WS_TOKEN" => "doc-token",
        _ when name.EndsWith("_API_KEY", StringComparison.Ordinal) => "sk-doc-" + name.Split('_')[0].ToLowerInvariant(),
        _ => throw new InvalidOperationException($"{name}=…: no stand-in for this placeholder; add one to BlockRun.Placeholder"),
    };

    // -- exaifast call, tools, threads, --version ---------------------------------------------------------------------

    private async Task ExaiFastAsync(DocumentedCommand c)
    {
        var args = c.Arguments.Select(Substitute).ToList();
        bool needsDaemon = args[0] is "call" or "threads" || (args[0] == "tools" && !args.Contains("--size"));
        IReadOnlyDictionary<string, string> settings = needsDaemon ? await ClientSettingsAsync() : new Dictionary<string, string>();
        var environment = new Dictionary<string, string>(c.Environment.ToDictionary(e => e.Key, e => e.Value), StringComparer.Ordinal);
        if (needsDaemon)
        {
            foreach (var (name, value) in ClientEnvironment(await machine.DaemonAsync(settings), settings))
            {
                environment[name] = value;
            }
        }

        int before = machine.Models.RequestCount;
        var result = await ProgramRun.ExaiFastAsync(args, environment, machine.Directory);
        Assert.True(result.Code == 0, $"exit {result.Code}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
        Assert.False(string.IsNullOrWhiteSpace(result.Stdout), $"nothing on stdout; stderr:\n{result.Stderr}");
        if (ContinueWith().Match(result.Stderr) is { Success: true } thread)
        {
            _thread = thread.Groups[1].Value;
        }

        if (args is ["call", "listmodels", ..])
        {
            foreach (string provider in Providers(settings))
            {
                Assert.Contains(provider, result.Stdout, StringComparison.Ordinal);
            }
        }
        else if (args is ["call", "chat", ..] && Providers(settings).Any(p => p != "local"))
        {
            // Answered by the model API, not the offline model, with the model the line names when it names one.
            Assert.Contains("chunk0", result.Stdout, StringComparison.Ordinal);
            Assert.True(machine.Models.RequestCount > before, "the model API got no request");
            if (args.FirstOrDefault(a => a.StartsWith("model=", StringComparison.Ordinal))?[6..] is { } name && machine.Models.Behaviors.ContainsKey(name))
            {
                Assert.Contains(machine.Models.Requests, r => (string?)r.Body["model"] == name); // a model's own name, not an alias
            }
        }
    }

    // The daemon the block's client lines talk to: its serve lines' settings together, or a plain one.
    private async Task<IReadOnlyDictionary<string, string>> ClientSettingsAsync()
    {
        if (_clientSettings is not null)
        {
            return _clientSettings;
        }

        var together = new Dictionary<string, string>(Plain, StringComparer.Ordinal);
        foreach (var serve in lines.Where(IsServe))
        {
            var (_, settings, _) = await SettingsAsync(serve);
            foreach (var (name, value) in settings)
            {
                if (together.TryGetValue(name, out string? other) && other != value)
                {
                    throw new InvalidOperationException($"the block's serve lines set {name} to both {other} and {value}: which daemon do its calls talk to?");
                }

                together[name] = value;
            }
        }

        return _clientSettings = together;
    }

    private static IEnumerable<string> Providers(IReadOnlyDictionary<string, string> settings)
    {
        bool any = false;
        if (settings.ContainsKey("KIMI_API_KEY"))
        {
            any = true;
            yield return "kimi";
        }

        if (settings.ContainsKey("GLM_API_KEY"))
        {
            any = true;
            yield return "glm";
        }

        if (settings.ContainsKey("OPENAI_COMPATIBLE_BASE_URL"))
        {
            any = true;
            yield return "openai";
            foreach (string model in settings.GetValueOrDefault("OPENAI_COMPATIBLE_MODELS", string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return model;
            }
        }

        if (!any)
        {
            yield return "local";
        }
    }

    // A documented argument with its placeholders made real: <id ...> is the thread an earlier line printed, /abs/...
    // a real file.
    private string Substitute(string argument)
    {
        string text = Placeholders().Replace(argument, m => m.Value.Contains("id", StringComparison.Ordinal)
            ? _thread ?? throw new InvalidOperationException($"{m.Value}: no earlier line of the block printed a thread to continue (stderr: \"continue with -a continuation_id=…\")")
            : throw new InvalidOperationException($"{m.Value}: no stand-in for this placeholder; add one to BlockRun.Substitute"));
        return AbsolutePath().Replace(text, m => machine.AbsolutePath(m.Value));
    }

    private static Dictionary<string, string> ClientEnvironment(ExaiFastProcess daemon, IReadOnlyDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["EXAI_WS_PORT"] = ReadersMachine.Port(daemon) };
        if (settings.TryGetValue("EXAI_WS_TOKEN", out string? token))
        {
            environment["EXAI_WS_TOKEN"] = token;
        }

        return environment;
    }

    private async Task<List<string>> ToolNamesAsync(Dictionary<string, string> client)
    {
        var tools = await ProgramRun.ExaiFastAsync(["tools"], client, machine.Directory);
        Assert.True(tools.Code == 0, tools.Stderr);
        return [.. tools.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])];
    }

    // -- claude mcp add ------------------------------------------------------------------------------------------------

    private async Task ClaudeAsync(DocumentedCommand c)
    {
        Assert.True(c.Arguments is ["mcp", "add", ..], "not a `claude mcp add` line");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var headers = new List<string>();
        var positional = new List<string>();
        string transport = "stdio";
        int end = c.Arguments.ToList().IndexOf("--");
        var options = end < 0 ? c.Arguments.Skip(2).ToList() : c.Arguments.Take(end).Skip(2).ToList();
        for (int i = 0; i < options.Count; i++)
        {
            switch (options[i])
            {
                case "--transport" or "-t":
                    transport = options[++i];
                    break;
                case "-e" or "--env":
                    string[] pair = options[++i].Split('=', 2);
                    environment[pair[0]] = pair[1];
                    break;
                case "--header" or "-H":
                    headers.Add(options[++i]);
                    break;
                case "--scope" or "-s":
                    i++;
                    break;
                default:
                    positional.Add(options[i]);
                    break;
            }
        }

        if (transport == "stdio")
        {
            var command = c.Arguments.Skip(end + 1).ToList();
            Assert.True(end >= 0 && command is ["exaifast", "stdio", ..], "a stdio server line must run `exaifast stdio` after --");
            await StdioAsync(command.Skip(2).ToList(), environment);
        }
        else
        {
            Assert.Equal("http", transport);
            await HttpAsync(new Uri(positional[^1]), headers);
        }
    }

    // The command Claude Code would start, started: it answers initialize and lists the tools over stdin/stdout.
    private async Task StdioAsync(List<string> args, Dictionary<string, string> environment)
    {
        if (!args.Contains("--in-process"))
        {
            var settings = new Dictionary<string, string>(Plain, StringComparer.Ordinal);
            if (environment.TryGetValue("EXAI_WS_TOKEN", out string? token))
            {
                settings["EXAI_WS_TOKEN"] = token; // "a daemon that requires a token": this one
            }

            // The daemon the bridge is to find (so --autostart finds it and starts none).
            environment["EXAI_WS_PORT"] = ReadersMachine.Port(await machine.DaemonAsync(settings));
        }

        await using var stdio = StdioProcess.Start(environment, [.. args]);
        await stdio.InitializeAsync();
        await stdio.RequestAsync(2, "tools/list");
        var listed = await stdio.ResponseAsync(2, 60_000);
        var tools = listed["result"]?["tools"]?.AsArray();
        Assert.True(tools is { Count: > 0 }, $"tools/list answered {listed.ToJsonString()}; stderr:\n{stdio.Stderr}");
    }

    // The URL Claude Code would call: its path is the daemon's MCP endpoint, and the documented header is what lets it in.
    private async Task HttpAsync(Uri documented, List<string> headers)
    {
        var (host, port) = await machine.DefaultAddressAsync(() => AddressAsync(new Dictionary<string, string>()));
        Assert.True(documented.Host == host && documented.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == port,
            $"{documented}: not the daemon's default address {host}:{port}");
        var settings = new Dictionary<string, string>(Plain, StringComparer.Ordinal);
        foreach (string header in headers)
        {
            if (header.StartsWith("Authorization: Bearer ", StringComparison.Ordinal))
            {
                settings["EXAI_WS_TOKEN"] = header["Authorization: Bearer ".Length..];
            }
        }

        var daemon = await machine.DaemonAsync(settings);
        var uri = McpUri(daemon, documented.PathAndQuery);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = InitializeBody() };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        foreach (string header in headers)
        {
            string[] parts = header.Split(':', 2, StringSplitOptions.TrimEntries);
            request.Headers.TryAddWithoutValidation(parts[0], parts[1]);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {uri} initialize: {(int)response.StatusCode} {body}");
        Assert.Contains("\"protocolVersion\"", body, StringComparison.Ordinal);
        if (headers.Count > 0)
        {
            using var without = await http.PostAsync(uri, InitializeBody(), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode); // the header is what the line is for
        }
    }

    // The address serve would listen on with these settings (host, port), from check-config's table.
    private async Task<(string Host, string Port)> AddressAsync(IReadOnlyDictionary<string, string> settings)
    {
        var check = await ProgramRun.ExaiFastAsync(["check-config"], settings, machine.Directory);
        Assert.True(check.Code == 0, check.Stderr);
        string Value(string name) => Regex.Match(check.Stdout, $@"^{name}\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;
        return (Value("EXAI_WS_HOST"), Value("EXAI_WS_PORT"));
    }

    // One tools/call over Streamable HTTP (stateless: no session needed): the text of its result.
    private static async Task<string> McpCallTextAsync(ExaiFastProcess daemon, string tool, string prompt)
    {
        var call = new System.Text.Json.Nodes.JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/call",
            ["params"] = new System.Text.Json.Nodes.JsonObject { ["name"] = tool, ["arguments"] = new System.Text.Json.Nodes.JsonObject { ["prompt"] = prompt } },
        };
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, McpUri(daemon, "/mcp")) { Content = new StringContent(call.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"tools/call {tool}: {(int)response.StatusCode} {body}");

        // A JSON body, or an event stream whose last data line is the response.
        string json = body.TrimStart().StartsWith('{') ? body : body.Split('\n').Last(l => l.StartsWith("data:", StringComparison.Ordinal))[5..];
        return (string?)System.Text.Json.Nodes.JsonNode.Parse(json)?["result"]?["content"]?[0]?["text"] ?? throw new InvalidOperationException($"no text in {body}");
    }

    private static Uri McpUri(ExaiFastProcess daemon, string path) => new($"http://127.0.0.1:{daemon.Port}{path}");

    private static StringContent InitializeBody()
    {
        var content = new StringContent(
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"doc-commands","version":"1"}}}""",
            Encoding.UTF8, "application/json");
        return content;
    }

    // -- curl, node, the repository's own tools -----------------------------------------------------------------------

    // A line that talks to a daemon at the default port: run as written, at the plain daemon's port.
    private async Task AgainstThePlainDaemonAsync(DocumentedCommand c)
    {
        var daemon = await machine.DaemonAsync(Plain);
        var (_, port) = await machine.DefaultAddressAsync(() => AddressAsync(new Dictionary<string, string>()));
        var args = c.Arguments.Select(a => a.Replace($":{port}", $":{ReadersMachine.Port(daemon)}", StringComparison.Ordinal)).ToList();
        Assert.True(!args.SequenceEqual(c.Arguments), $"it names no daemon at :{port}, the default port");
        if (c.Program == "node")
        {
            Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, "tests", "clients", "node_modules")), "tests/clients/node_modules is missing: run scripts/setup.sh");
        }

        var result = await ProgramRun.StartAsync(c.Program, args, new Dictionary<string, string>(), RepoPaths.Root);
        Assert.True(result.Code == 0, $"exit {result.Code}\n{result.Stdout}\n{result.Stderr}");
        Assert.False(string.IsNullOrWhiteSpace(result.Stdout), $"nothing on stdout; stderr:\n{result.Stderr}");
    }

    // `dotnet <a tool of the repository>.dll ...` and one scenario of the conformance suite, run from the repository.
    private static async Task RepositoryToolAsync(DocumentedCommand c)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["NO_COLOR"] = "1" };
        if (c.Arguments is ["scripts/conformance.sh", ..])
        {
            environment["CONFORMANCE_DAEMON_DLL"] = ExaiFastExecutable.PathForScripts; // the build under test
        }

        else
        {
            string dll = Path.Combine(RepoPaths.Root, c.Arguments[0]);
            Assert.True(File.Exists(dll), $"{c.Arguments[0]} is missing: build the solution first (scripts/test.sh does)");
        }

        var result = await ProgramRun.StartAsync(c.Program, c.Arguments, environment, RepoPaths.Root);
        Assert.True(result.Code == 0, $"exit {result.Code}\n{result.Stdout}\n{result.Stderr}");
        Assert.False(string.IsNullOrWhiteSpace(result.Stdout), $"nothing on stdout; stderr:\n{result.Stderr}");
    }

    [GeneratedRegex(@"<[^<>]+>")]
    private static partial Regex Placeholders();

    [GeneratedRegex(@"/abs/[^""'\]\s,]+")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"continue with -a continuation_id=(\S+)")]
    private static partial Regex ContinueWith();

    [GeneratedRegex(@"the (\d+) lean tools")]
    private static partial Regex LeanCount();

    [GeneratedRegex(@"\b(\d+\.\d+\.\d+\.\d+|localhost):(\d+)\b")]
    private static partial Regex HostAndPort();

    [GeneratedRegex(@"https?://[^\s,;)]+")]
    private static partial Regex Url();
}
