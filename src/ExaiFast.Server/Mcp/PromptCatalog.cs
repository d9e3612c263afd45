using System.Buffers;
using System.Text.Json;
using ExaiFast.Core.Threads;
using ExaiFast.Core.Tools;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The MCP prompts: one per listed tool, which clients offer as slash commands (<c>/exaifast:codereview</c>), plus
/// <c>continue</c>, which goes on with the client's latest conversation thread. A prompt is a message asking the
/// client's model to call the tool with what the user typed; the tool's other required fields are left to the model.
/// </summary>
/// <remarks>
/// Made from a <c>tools/list</c> array (name, annotations' title, description, input schema), so that the daemon's
/// doors and the stdio bridge (from the daemon's <c>list_tools_res</c>) derive the same prompts from the same tools, and
/// a tool the profile leaves out has no prompt. Immutable; thread-safe.
/// </remarks>
internal sealed class PromptCatalog
{
    /// <summary>The prompt that continues the latest conversation.</summary>
    public const string Continue = "continue";

    /// <summary>The tool <c>continue</c> calls when it is listed: it continues a thread of any tool.</summary>
    private const string ContinueTool = "chat";

    private static readonly McpPromptArgument ContinuationArgument = new("continuation_id", "The conversation to continue; default: this client's latest.", Required: false);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly McpPrompt[] _prompts;

    private PromptCatalog(McpPrompt[] prompts) => _prompts = prompts;

    /// <summary>The prompts, tools first in their list order, then <c>continue</c>.</summary>
    public IReadOnlyList<McpPrompt> All => _prompts;

    /// <summary>The prompts of <paramref name="catalog"/>'s tools, as its <c>tools/list</c> shows them.</summary>
    public static PromptCatalog Of(IToolCatalog catalog)
    {
        var output = new ArrayBufferWriter<byte>(16 * 1024);
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            ToolListJson.Write(json, catalog, ToolShape.Annotated); // the shape with every tool's title
            json.WriteEndObject();
        }

        using var document = JsonDocument.Parse(output.WrittenMemory);
        return FromTools(document.RootElement.GetProperty("tools"u8));
    }

    /// <summary>The prompts of the tools in a <c>tools/list</c> array (any shape: a tool without a title shows its name).</summary>
    public static PromptCatalog FromTools(JsonElement tools)
    {
        var prompts = new List<McpPrompt>();
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && StringOf(tool, "name") is { } name)
            {
                prompts.Add(PromptOf(name, tool));
            }
        }

        prompts.Add(new McpPrompt(Continue, "Continue",
            "Go on with this client's latest exaifast conversation, with the same model.",
            [new McpPromptArgument("prompt", "What to say next.", Required: false), ContinuationArgument], [], Workflow: false));
        return new PromptCatalog([.. prompts]);
    }

    // The arguments a user types after the command: the tool's main text (prompt, or a workflow's first step), the files
    // it reads and the model; everything else (step numbers, findings, options) the model fills in from the conversation.
    private static McpPrompt PromptOf(string name, JsonElement tool)
    {
        string title = tool.TryGetProperty("title"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!
            : tool.TryGetProperty("annotations"u8, out var a) && a.ValueKind == JsonValueKind.Object && StringOf(a, "title") is { } at ? at
            : name;
        string description = StringOf(tool, "description") ?? "";
        var properties = default(JsonElement);
        var required = new List<string>();
        if (tool.TryGetProperty("inputSchema"u8, out var schema) && schema.ValueKind == JsonValueKind.Object)
        {
            schema.TryGetProperty("properties"u8, out properties);
            if (schema.TryGetProperty("required"u8, out var r) && r.ValueKind == JsonValueKind.Array)
            {
                required.AddRange(r.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
        }

        bool Has(string field) => properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(field, out _);

        var arguments = new List<McpPromptArgument>();
        if (Has("prompt"))
        {
            arguments.Add(new("prompt", "What to ask or say.", required.Contains("prompt")));
        }
        else if (Has("step"))
        {
            arguments.Add(new("step", "What to work on: the task or question the first step starts from.", required.Contains("step")));
        }

        foreach (string files in (string[])["files", "relevant_files"])
        {
            if (Has(files))
            {
                arguments.Add(new(files, "Absolute paths of files to read, comma-separated.", Required: false, List: true));
            }
        }

        if (Has("model"))
        {
            arguments.Add(new("model", "A model name (listmodels lists them), or auto.", Required: false));
        }

        return new McpPrompt(name, title, description, [.. arguments], [.. required], Workflow: Has("next_step_required"));
    }

    private static string? StringOf(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The prompt called <paramref name="name"/>, if listed.</summary>
    public McpPrompt? Find(string name) => Array.Find(_prompts, p => p.Name == name);

    /// <summary>The <c>prompts/list</c> result: every prompt, in one page.</summary>
    public PooledBuffer List(string rawId, McpDialect dialect) =>
        McpMessages.Result(rawId, (_prompts, dialect), static (json, in s) =>
        {
            McpMessages.WriteResultType(json, s.dialect);
            json.WriteStartArray("prompts"u8);
            foreach (var prompt in s._prompts)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, prompt.Name);
                if (s.dialect.Shape == ToolShape.Structured)
                {
                    json.WriteString("title"u8, prompt.Title); // BaseMetadata's title came with 2025-06-18
                }

                json.WriteString("description"u8, prompt.Description);
                json.WriteStartArray("arguments"u8);
                foreach (var argument in prompt.Arguments)
                {
                    json.WriteStartObject();
                    json.WriteString("name"u8, argument.Name);
                    json.WriteString("description"u8, argument.Description);
                    json.WriteBoolean("required"u8, argument.Required);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            McpMessages.WriteCache(json, s.dialect, McpCache.Static);
            McpMessages.WriteServerMeta(json, s.dialect);
        });

    /// <summary>
    /// Why <paramref name="ask"/> cannot be answered — an unknown prompt, an argument it does not take, a required one
    /// missing or blank — as the JSON-RPC error to send; null when it can.
    /// </summary>
    public PooledBuffer? Refusal(string rawId, PromptAsk ask)
    {
        if (Find(ask.Name) is not { } prompt)
        {
            return McpMessages.Error(rawId, McpMessages.InvalidParams,
                $"Invalid params: unknown prompt {McpProtocol.Truncate(ask.Name)}; this server's prompts are {string.Join(", ", _prompts.Select(p => p.Name))}");
        }

        foreach (string given in ask.Arguments.Keys)
        {
            if (!Array.Exists(prompt.Arguments, a => a.Name == given))
            {
                return McpMessages.Error(rawId, McpMessages.InvalidParams,
                    $"Invalid params: prompt {prompt.Name} takes no argument {McpProtocol.Truncate(given)}; its arguments are {Names(prompt)}");
            }
        }

        foreach (var argument in prompt.Arguments)
        {
            if (argument.Required && string.IsNullOrWhiteSpace(ask.Arguments.GetValueOrDefault(argument.Name)))
            {
                return McpMessages.Error(rawId, McpMessages.InvalidParams,
                    $"Invalid params: prompt {prompt.Name} needs the argument {argument.Name} ({argument.Description.TrimEnd('.')})");
            }
        }

        return null;
    }

    private static string Names(McpPrompt prompt) => prompt.Arguments.Length == 0 ? "none" : string.Join(", ", prompt.Arguments.Select(a => a.Name));

    /// <summary>
    /// Whether answering <paramref name="ask"/> needs the client's latest thread: <c>continue</c> without a
    /// <c>continuation_id</c>. The backend then fetches the client's threads and passes the newest to <see cref="Get"/>.
    /// </summary>
    public static bool NeedsThread(PromptAsk ask) =>
        ask.Name == Continue && string.IsNullOrWhiteSpace(ask.Arguments.GetValueOrDefault(ContinuationArgument.Name));

    /// <summary>
    /// The thread <c>continue</c> goes on with: the newest of <paramref name="session"/>'s own among
    /// <paramref name="listed"/>, else (a client that made none yet, as a new stdio bridge) the newest listed at all —
    /// the daemon lists its recent ones only to callers it trusts.
    /// </summary>
    public static ThreadSummary? Latest(IReadOnlyCollection<Guid> session, IReadOnlyList<ThreadSummary> listed) =>
        listed.Where(t => session.Contains(t.Id)).MaxBy(t => t.UpdatedAt.UtcTicks) ?? listed.MaxBy(t => t.UpdatedAt.UtcTicks);

    /// <summary>
    /// The <c>prompts/get</c> result of an <paramref name="ask"/> that <see cref="Refusal"/> let through: one user message
    /// asking the model to call the tool. For <c>continue</c>, <paramref name="latest"/> is the thread to go on with
    /// (null when <see cref="NeedsThread"/> found none: the answer is then an error saying so).
    /// </summary>
    public PooledBuffer Get(string rawId, PromptAsk ask, McpDialect dialect, ThreadSummary? latest = null)
    {
        var prompt = Find(ask.Name)!;
        string text;
        if (prompt.Name == Continue)
        {
            if (ContinueText(ask, latest) is not { } continued)
            {
                return McpMessages.Error(rawId, McpMessages.InvalidParams,
                    NeedsThread(ask)
                        ? "Invalid params: there is no conversation to continue: this client has none (threads expire CONVERSATION_TIMEOUT_HOURS after their last turn); start one with the chat prompt, or pass continuation_id"
                        : "Invalid params: no listed tool can continue a conversation (chat is not offered: see EXAIFAST_TOOLS and DISABLED_TOOLS)");
            }

            text = continued;
        }
        else
        {
            text = ToolText(prompt, ask);
        }

        return McpMessages.Result(rawId, (prompt.Description, text, dialect), static (json, in s) =>
        {
            McpMessages.WriteResultType(json, s.dialect);
            json.WriteString("description"u8, s.Description);
            json.WriteStartArray("messages"u8);
            json.WriteStartObject();
            json.WriteString("role"u8, "user"u8);
            json.WriteStartObject("content"u8);
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, s.text);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            McpMessages.WriteServerMeta(json, s.dialect);
        });
    }

    private static string ToolText(McpPrompt prompt, PromptAsk ask)
    {
        var given = prompt.Arguments.Where(a => !string.IsNullOrWhiteSpace(ask.Arguments.GetValueOrDefault(a.Name))).ToList();
        var text = new System.Text.StringBuilder();
        text.Append("Use the exaifast tool `").Append(prompt.Name).Append("` (").Append(prompt.Title).Append("): ").Append(prompt.Description).Append('\n');
        if (given.Count == 0)
        {
            text.Append("Call `").Append(prompt.Name).Append('`');
        }
        else
        {
            text.Append("Call `").Append(prompt.Name).Append("` with these arguments: ").Append(ArgumentsJson(given, ask));
        }

        var left = prompt.ToolRequired.Where(r => !given.Exists(a => a.Name == r)).ToList();
        text.Append(left.Count == 0 ? "." : $", and fill in the other required ones yourself from our conversation: {string.Join(", ", left)}.");
        if (prompt.Workflow)
        {
            text.Append("\nStart at step 1 and follow each answer's next_call until next_step_required is false.");
        }

        return text.ToString();
    }

    private string? ContinueText(PromptAsk ask, ThreadSummary? latest)
    {
        string? id = ask.Arguments.GetValueOrDefault(ContinuationArgument.Name) is { } named && !string.IsNullOrWhiteSpace(named) ? named.Trim()
            : latest?.Id.ToString("D");
        if (id is null)
        {
            return null;
        }

        // chat continues a thread of any tool; without it, only the thread's own tool can, when it is listed.
        string? tool = Find(ContinueTool) is not null ? ContinueTool
            : latest is not null && latest.Tool != Continue && Find(latest.Tool) is not null ? latest.Tool
            : null;
        if (tool is null)
        {
            return null;
        }

        var text = new System.Text.StringBuilder();
        text.Append("Continue the exaifast conversation ").Append(id);
        if (latest is not null)
        {
            text.Append(" (").Append(ThreadResources.Describe(latest)).Append(')');
        }

        text.Append(".\nCall `").Append(tool).Append("` with continuation_id \"").Append(id).Append('"');
        if (latest?.Model is { } model)
        {
            text.Append(", model \"").Append(model).Append("\" (the one it used, unless I ask for another)");
        }

        string? next = ask.Arguments.GetValueOrDefault("prompt");
        text.Append(string.IsNullOrWhiteSpace(next)
            ? ", and as its prompt the next question or step of our work, in your own words."
            : $", and as its prompt: {next}");
        return text.ToString();
    }

    // The given arguments as the tool takes them: a list field's comma-separated items as an array, the rest as text.
    private static string ArgumentsJson(List<McpPromptArgument> given, PromptAsk ask)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(output, WriterOptions))
        {
            json.WriteStartObject();
            foreach (var argument in given)
            {
                string value = ask.Arguments[argument.Name];
                if (argument.List)
                {
                    json.WriteStartArray(argument.Name);
                    foreach (string item in value.Split([',', '\n'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        json.WriteStringValue(item);
                    }

                    json.WriteEndArray();
                }
                else
                {
                    json.WriteString(argument.Name, value);
                }
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
