using System.Text;
using System.Text.Json.Nodes;

namespace ExaiFast.Tests.Fuzz;

/// <summary>
/// Turns valid messages into hostile ones, reproducibly from a seed: a member's value of the wrong type, a member
/// missing, renamed or given twice, a string no UTF-16 can hold, deep nesting, huge numbers, batches, and the raw bytes
/// truncated or shot with stray and invalid UTF-8 bytes.
/// </summary>
internal sealed class HostileJson(int seed)
{
    // Values of every JSON type, and the edges of each: what a field of any type may meet instead of its own.
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "2", "1.5", "-0", "1E+2", "600001", "2147483648", "-9223372036854775809",
        "1e400", "-1e400", "1e-400", "123456789012345678901234567890123456789012345678901234567890",
        "\"\"", "\" \"", "\"2.0\"", "\"x\"", "\"ping\"", "\"tools/call\"", "\"call_tool\"", "\"chat\"", "\"\\u0000\"",
        "\"\\ud800\"", "\"\\udc00x\"", "\"a\\ud83d\"", "\"\\ud83d\\ude00\"", "\"\\\"\"", "\"\\\\u0041\"", "\"é\"",
        "[]", "[1]", "[null]", "[\"x\"]", "[{}]", "{}", "{\"a\":null}", "{\"\\ud800\":1}", "{\"type\":\"text\"}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];

    private static readonly string[] Names =
    [
        "", " ", "ID", "id ", "\\u0069d", "\\ud800", "\\udc00", "__proto__", "jsonrpc", "method", "op", "request_id", "arguments", "_meta",
    ];

    // Bytes that break UTF-8 or JSON: a lone continuation byte, an overlong lead, a surrogate's encoding, a truncated
    // sequence, a NUL, and JSON's own punctuation out of place.
    private static readonly byte[][] StrayBytes =
    [
        [0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x00], [0xEF, 0xBB, 0xBF],
        "{"u8.ToArray(), "}"u8.ToArray(), "\""u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(), "\\"u8.ToArray(), "]"u8.ToArray(),
        "\r"u8.ToArray(), " "u8.ToArray(),
    ];

    private readonly Random _random = new(seed);

    public int Next(int max) => _random.Next(max);

    /// <summary>One hostile variant of <paramref name="message"/>, and what was done to it.</summary>
    public (string Kind, byte[] Bytes) Mutate(JsonNode message)
    {
        var slots = Slots(message).ToList();
        switch (_random.Next(15))
        {
            case 0 or 1 or 2:
                return Rewritten("wrong type", message, slots, (plan, _) => plan.Replace = Pick(Values));
            case 3:
                return Rewritten("wrong types", message, slots, (plan, _) => plan.Replace = Pick(Values), count: 2);
            case 4:
                return Rewritten("missing", message, slots, (plan, _) => plan.Remove = true, membersOnly: true);
            case 5:
                return Rewritten("duplicate key", message, slots, (plan, _) =>
                {
                    if (_random.Next(2) == 0)
                    {
                        plan.DuplicateBefore = Pick(Values);
                    }
                    else
                    {
                        plan.DuplicateAfter = Pick(Values);
                    }
                }, membersOnly: true);
            case 6:
                return Rewritten("renamed", message, slots, (slot, _) => slot.Rename = Pick(Names), membersOnly: true);
            case 7:
                int depth = Pick([2, 32, 63, 64, 65, 200, 5000]);
                bool arrays = _random.Next(2) == 0;
                return Rewritten($"nested {depth}", message, slots, (slot, original) =>
                    slot.Replace = arrays ? new string('[', depth) + original + new string(']', depth) : Repeat("{\"a\":", depth) + original + new string('}', depth));
            case 8:
                byte[] whole = Encoding.UTF8.GetBytes(message.ToJsonString());
                return ("truncated", whole[.._random.Next(whole.Length)]);
            case 9 or 10:
                return ("stray bytes", Spliced(Encoding.UTF8.GetBytes(message.ToJsonString())));
            case 11:
                string one = message.ToJsonString();
                return ("batch", Encoding.UTF8.GetBytes(Pick(["[" + one + "]", "[" + one + "," + one + "]", "[]", "[1,{}]", "[[" + one + "]]"])));
            case 12:
                return ("not an object", Encoding.UTF8.GetBytes(Pick([.. Values, "", " ", "\r\n", "\uFEFF" + message.ToJsonString(), message.ToJsonString() + " x", message.ToJsonString() + message.ToJsonString()])));
            case 13:
                // Past the small-message path (1 MiB): parsed on its own thread, under the inbound budget.
                return Rewritten("big", message, slots, (slot, _) => slot.Replace = _random.Next(3) == 0
                    ? "\"" + new string('a', (1 << 20) + 10) + "\""
                    : "[" + string.Join(',', Enumerable.Repeat("\"\\ud800\"", 2000)) + "]");
            default:
                return Rewritten("huge number", message, slots, (slot, _) => slot.Replace = Pick(["1e999999", "-1e999999", new string('9', 5000), "0." + new string('0', 5000) + "1", "1" + new string('0', 400) + ".5"]));
        }
    }

    private (string, byte[]) Rewritten(string kind, JsonNode message, List<Slot> slots, Action<Plan, string> change, bool membersOnly = false, int count = 1)
    {
        var candidates = membersOnly ? slots.Where(s => s.Name is not null).ToList() : slots;
        var plans = new List<Plan>();
        var paths = new List<string>();
        for (int i = 0; i < count && candidates.Count > 0; i++)
        {
            var slot = candidates[_random.Next(candidates.Count)];
            var plan = new Plan(slot.Node);
            change(plan, slot.Node.ToJsonString());
            plans.Add(plan);
            paths.Add(slot.Path);
        }

        return plans.Count == 0
            ? (kind + " (nothing to change)", Encoding.UTF8.GetBytes(message.ToJsonString()))
            : ($"{kind} at {string.Join(", ", paths)}", Rewrite(message, plans));
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private byte[] Spliced(byte[] bytes)
    {
        var list = bytes.ToList();
        for (int n = 1 + _random.Next(3); n > 0; n--)
        {
            byte[] stray = Pick(StrayBytes);
            int at = _random.Next(list.Count + 1);
            if (_random.Next(3) == 0 && at < list.Count)
            {
                list.RemoveAt(at);
            }

            list.InsertRange(at, stray);
        }

        return [.. list];
    }

    private static string Repeat(string s, int count) => new StringBuilder(s.Length * count).Insert(0, s, count).ToString();

    private static IEnumerable<Slot> Slots(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    if (value is null)
                    {
                        continue; // a JSON null has no node to find again
                    }

                    string at = $"{path}.{name}";
                    yield return new Slot(value, at, name);
                    foreach (var inner in Slots(value, at))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    if (a[i] is null)
                    {
                        continue;
                    }

                    string at = $"{path}[{i}]";
                    yield return new Slot(a[i]!, at, null);
                    foreach (var inner in Slots(a[i], at))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    private static byte[] Rewrite(JsonNode message, List<Plan> plans)
    {
        var text = new StringBuilder();
        Write(text, message, plans);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    // Writes the node as JSON with the plans applied to the nodes they name (by reference: a node has one place).
    private static void Write(StringBuilder text, JsonNode? node, List<Plan> plans)
    {
        switch (node)
        {
            case JsonObject o:
                text.Append('{');
                bool first = true;
                foreach (var (name, value) in o)
                {
                    var plan = plans.Find(p => ReferenceEquals(p.Node, value));
                    if (plan?.Remove == true)
                    {
                        continue;
                    }

                    string key = plan?.Rename ?? Escaped(name);
                    if (plan?.DuplicateBefore is { } before)
                    {
                        Member(text, ref first, key, before);
                    }

                    Member(text, ref first, key, plan?.Replace ?? Written(value, plans));
                    if (plan?.DuplicateAfter is { } after)
                    {
                        Member(text, ref first, key, after);
                    }
                }

                text.Append('}');
                break;
            case JsonArray a:
                text.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }

                    var plan = plans.Find(p => ReferenceEquals(p.Node, a[i]));
                    text.Append(plan?.Replace ?? Written(a[i], plans));
                }

                text.Append(']');
                break;
            default:
                text.Append(node?.ToJsonString() ?? "null");
                break;
        }
    }

    private static string Written(JsonNode? node, List<Plan> plans)
    {
        var text = new StringBuilder();
        Write(text, node, plans);
        return text.ToString();
    }

    private static void Member(StringBuilder text, ref bool first, string key, string value)
    {
        if (!first)
        {
            text.Append(',');
        }

        first = false;
        text.Append('"').Append(key).Append("\":").Append(value);
    }

    private static string Escaped(string name) => System.Text.Json.JsonEncodedText.Encode(name).ToString();

    private sealed record Slot(JsonNode Node, string Path, string? Name);

    private sealed class Plan(JsonNode node)
    {
        public JsonNode Node => node;

        public string? Replace { get; set; }

        public bool Remove { get; set; }

        public string? Rename { get; set; }

        public string? DuplicateBefore { get; set; }

        public string? DuplicateAfter { get; set; }
    }
}
