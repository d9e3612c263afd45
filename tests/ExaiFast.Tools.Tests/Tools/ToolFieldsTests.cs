using System.Text.Json;
using System.Text.Json.Nodes;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Tools;

namespace ExaiFast.Tools.Tests.Tools;

/// <summary>
/// Tools declared once: <see cref="ToolFields"/> gives both the JSON Schema a client sees and the validation the daemon
/// runs — every field kind's keywords, and the first error, naming the field (nested ones by path: 'list[0].field').
/// </summary>
public class ToolFieldsTests
{
    private static readonly string[] Severities = ["critical", "high", "medium", "low"];

    private static ToolFields Declared() => new(
    [
        Field.Text("prompt", "What to ask.", required: true, nonBlank: true),
        Field.Text("mode", "A mode.", oneOf: ["fast", "slow"]),
        Field.Text("short", "", maxLength: 5),
        Field.Uuid("continuation_id", "A thread."),
        Field.Integer("step_number", "Step.", 1, 10),
        Field.Number("temperature", "Heat.", 0, 1),
        Field.Boolean("flag", "On or off."),
        Field.TextList("files", "Paths.", maxItems: 3, nonBlankItems: true),
        Field.TextList("tags", "Anything.", maxItems: 2),
        Field.ObjectList("issues", "Issues.",
            [Field.Text("severity", "How bad.", required: true, oneOf: Severities), Field.Text("description", "What.", required: true, nonBlank: true)],
            minItems: 1, maxItems: 2),
    ]);

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static string? Validate(string json) => Declared().Validate(Json(json));

    private static JsonObject Schema() => JsonNode.Parse(Declared().ToSchema())!.AsObject();

    [Fact]
    public void Schema_IsAnObject_WithEveryPropertyInDeclarationOrder_AndOnlyTheRequiredOnesRequired()
    {
        var schema = Schema();
        Assert.Equal("object", (string?)schema["type"]);
        Assert.Equal(["prompt", "mode", "short", "continuation_id", "step_number", "temperature", "flag", "files", "tags", "issues"],
            schema["properties"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["prompt"], schema["required"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal("What to ask.", (string?)schema["properties"]!["prompt"]!["description"]);
        Assert.Null(schema["properties"]!["short"]!["description"]); // an empty description is left out
    }

    [Fact]
    public void Schema_WithNoRequiredField_HasNoRequiredList()
    {
        var schema = JsonNode.Parse(new ToolFields([Field.Boolean("flag", "x")]).ToSchema())!.AsObject();
        Assert.False(schema.ContainsKey("required"));
    }

    [Fact]
    public void Schema_TextKeywords_EnumAndUuidFormat_ButNotTheGuards()
    {
        // Non-blank and maxLength are enforced (Validate_*) but not listed: they guard the daemon, and cost every tools/list.
        var p = Schema()["properties"]!;
        Assert.Equal("""{"type":"string","description":"What to ask."}""", p["prompt"]!.ToJsonString());
        Assert.Equal("""{"type":"string","enum":["fast","slow"],"description":"A mode."}""", p["mode"]!.ToJsonString());
        Assert.Equal("""{"type":"string"}""", p["short"]!.ToJsonString());
        Assert.Equal("""{"type":"string","format":"uuid","description":"A thread."}""", p["continuation_id"]!.ToJsonString());
    }

    [Fact]
    public void Schema_NumbersBooleansAndLists_CarryTheirLowerBounds_AndANumbersRange_ButNotTheCaps()
    {
        var p = Schema()["properties"]!;
        Assert.Equal("""{"type":"integer","minimum":1,"description":"Step."}""", p["step_number"]!.ToJsonString());
        Assert.Equal("""{"type":"number","minimum":0,"maximum":1,"description":"Heat."}""", p["temperature"]!.ToJsonString());
        Assert.Equal("""{"type":"boolean","description":"On or off."}""", p["flag"]!.ToJsonString());
        Assert.Equal("""{"type":"array","items":{"type":"string"},"description":"Paths."}""", p["files"]!.ToJsonString());
        Assert.Equal("""{"type":"array","items":{"type":"string"},"description":"Anything."}""", p["tags"]!.ToJsonString());
    }

    [Fact]
    public void Schema_ObjectList_NestsItsItemsObjectSchema_WithItsOwnRequiredList()
    {
        var issues = Schema()["properties"]!["issues"]!;
        Assert.Equal("array", (string?)issues["type"]);
        Assert.Equal(1, (int)issues["minItems"]!);
        Assert.Null(issues["maxItems"]); // enforced, unlisted
        var items = issues["items"]!;
        Assert.Equal("object", (string?)items["type"]);
        Assert.Equal(["severity", "description"], items["properties"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(Severities, items["properties"]!["severity"]!["enum"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal(["severity", "description"], items["required"]!.AsArray().Select(n => (string)n!).ToArray());
    }

    [Fact]
    public void AWholeFloat_IsAnInteger_AsJsonSchemaCountsOne_AndReadsAsOne()
    {
        // Python and JavaScript clients send 3.0 for a whole float; JSON Schema's "integer" accepts it.
        Assert.Null(Validate("""{"prompt":"x","step_number":3.0}"""));
        Assert.Equal(3, new ToolArguments(Json("""{"step_number":3.0}""")).Int("step_number"));
        Assert.Equal("'step_number' must be an integer from 1 to 10", Validate("""{"prompt":"x","step_number":3.5}"""));
    }

    [Fact]
    public void DuplicateNames_AreRefusedAtDeclaration()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ToolFields([Field.Boolean("x", ""), Field.Text("x", "")]));
        Assert.Contains("'x' is declared twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_IsNull_AndUndeclaredArgumentsAreIgnored()
    {
        Assert.Null(Validate("""{"prompt":"hi"}"""));
        Assert.Null(Validate("""
            {"prompt":"hi","mode":"slow","short":"12345","continuation_id":"7f0c1d6e-8a43-4b0e-9a53-1f2d3c4b5a69","step_number":10,"temperature":0.5,
             "flag":false,"files":["/a","/b","/c"],"tags":[" ",""],"issues":[{"severity":"low","description":"d","extra":1}],"_meta":{"x":1}}
            """));
        // null is "not given": fine for an optional field
        Assert.Null(Validate("""{"prompt":"hi","mode":null,"files":null}"""));
    }

    [Theory]
    [InlineData("[]", "arguments must be an object")]
    [InlineData("\"prompt\"", "arguments must be an object")]
    [InlineData("{}", "'prompt' is required")]
    [InlineData("""{"prompt":null}""", "'prompt' is required")]
    [InlineData("""{"prompt":42}""", "'prompt' must be a non-empty string")]
    [InlineData("""{"prompt":""}""", "'prompt' must be a non-empty string")]
    [InlineData("""{"prompt":"   "}""", "'prompt' must be a non-empty string")]
    [InlineData("""{"prompt":"\t\n "}""", "'prompt' must be a non-empty string")]           // escaped white space
    [InlineData("""{"prompt":"\u0020\u0020"}""", "'prompt' must be a non-empty string")]     // escaped spaces
    [InlineData("{\"prompt\":\"\u3000\u2003\"}", "'prompt' must be a non-empty string")]     // raw Unicode spaces
    [InlineData("""{"prompt":"x","mode":"medium"}""", "'mode' must be one of fast, slow")]
    [InlineData("""{"prompt":"x","mode":1}""", "'mode' must be a string")]
    [InlineData("""{"prompt":"x","short":"123456"}""", "'short' must be at most 5 characters")]
    [InlineData("""{"prompt":"x","continuation_id":"not-a-uuid"}""", "'continuation_id' must be a UUID (as an earlier answer returned it)")]
    [InlineData("""{"prompt":"x","continuation_id":""}""", "'continuation_id' must be a non-empty string")]
    [InlineData("""{"prompt":"x","continuation_id":7}""", "'continuation_id' must be a non-empty string")]
    [InlineData("""{"prompt":"x","step_number":0}""", "'step_number' must be an integer from 1 to 10")]
    [InlineData("""{"prompt":"x","step_number":11}""", "'step_number' must be an integer from 1 to 10")]
    [InlineData("""{"prompt":"x","step_number":1.5}""", "'step_number' must be an integer from 1 to 10")]
    [InlineData("""{"prompt":"x","step_number":"3"}""", "'step_number' must be an integer from 1 to 10")]
    [InlineData("""{"prompt":"x","step_number":99999999999999999999}""", "'step_number' must be an integer from 1 to 10")]
    [InlineData("""{"prompt":"x","temperature":1.01}""", "'temperature' must be a number from 0 to 1")]
    [InlineData("""{"prompt":"x","temperature":-0.1}""", "'temperature' must be a number from 0 to 1")]
    [InlineData("""{"prompt":"x","temperature":"hot"}""", "'temperature' must be a number from 0 to 1")]
    [InlineData("""{"prompt":"x","flag":"true"}""", "'flag' must be true or false")]
    [InlineData("""{"prompt":"x","flag":1}""", "'flag' must be true or false")]
    [InlineData("""{"prompt":"x","files":"/a"}""", "'files' must be an array of strings")]
    [InlineData("""{"prompt":"x","files":["/a",2]}""", "'files' must be an array of strings")]
    [InlineData("""{"prompt":"x","files":["/a"," "]}""", "'files[1]' must be a non-empty string")]
    [InlineData("""{"prompt":"x","files":["/a","/b","/c","/d"]}""", "'files' may hold at most 3 items")]
    [InlineData("""{"prompt":"x","tags":["a","b","c"]}""", "'tags' may hold at most 2 items")]
    [InlineData("""{"prompt":"x","issues":{}}""", "'issues' must be an array of objects")]
    [InlineData("""{"prompt":"x","issues":[]}""", "'issues' must hold from 1 to 2 items")]
    [InlineData("""{"prompt":"x","issues":[{"severity":"low","description":"a"},{"severity":"low","description":"b"},{"severity":"low","description":"c"}]}""", "'issues' must hold from 1 to 2 items")]
    [InlineData("""{"prompt":"x","issues":["low"]}""", "'issues[0]' must be an object")]
    [InlineData("""{"prompt":"x","issues":[{"severity":"low"}]}""", "'issues[0].description' is required")]
    [InlineData("""{"prompt":"x","issues":[{"severity":"low","description":"ok"},{"severity":"dire","description":"bad"}]}""", "'issues[1].severity' must be one of critical, high, medium, low")]
    [InlineData("""{"prompt":"x","issues":[{"severity":"low","description":" "}]}""", "'issues[0].description' must be a non-empty string")]
    public void Invalid_GivesTheFirstError_NamingTheField(string json, string error) => Assert.Equal(error, Validate(json));

    [Fact]
    public void SeveralErrors_TheFirstInDeclarationOrderIsReported()
    {
        // 'flag' comes before 'temperature' in the JSON, after it in the declaration
        Assert.Equal("'temperature' must be a number from 0 to 1", Validate("""{"flag":"no","temperature":5,"prompt":"x"}"""));
        Assert.Equal("'prompt' is required", Validate("""{"flag":"no","temperature":5}"""));
    }

    [Fact]
    public void ObjectListOfObjectLists_NamesTheFullPath()
    {
        var fields = new ToolFields([Field.ObjectList("outer", "", [Field.ObjectList("inner", "", [Field.Integer("n", "", 0, 1, required: true)])])]);
        Assert.Equal("'outer[1].inner[0].n' must be an integer from 0 to 1", fields.Validate(Json("""{"outer":[{"inner":[]},{"inner":[{"n":2}]}]}""")));
        Assert.Equal("'outer[0].inner[0].n' is required", fields.Validate(Json("""{"outer":[{"inner":[{}]}]}""")));
    }

    [Fact]
    public void ToolArguments_ReadsTypedValues_WithFallbacksForAbsentOrNull()
    {
        var a = new ToolArguments(Json("""{"s":"text","n":null,"i":7,"d":0.25,"b":true,"list":["a","b"],"objs":[{"k":"v1"},{"k":"v2"}],"empty":[]}"""));
        Assert.True(a.Has("s"));
        Assert.False(a.Has("n"));
        Assert.False(a.Has("absent"));
        Assert.Equal("text", a.Text("s"));
        Assert.Equal("fb", a.Text("n", "fb"));
        Assert.Equal("text", a.RequiredText("s"));
        Assert.Throws<InvalidOperationException>(() => a.RequiredText("absent"));
        Assert.Equal(7, a.Int("i"));
        Assert.Equal(3, a.Int("absent", 3));
        Assert.Equal(0.25, a.Number("d"));
        Assert.Null(a.Number("s"));
        Assert.True(a.Bool("b"));
        Assert.False(a.Bool("absent", false));
        Assert.Equal(["a", "b"], a.TextList("list"));
        Assert.Empty(a.TextList("empty"));
        Assert.Empty(a.TextList("absent"));
        Assert.Equal(["v1", "v2"], a.Objects("objs").Select(o => o.Text("k")).ToArray());
        Assert.Empty(a.Objects("absent"));
    }

    [Fact]
    public void ChatTool_SchemaComesFromItsFields_PlusTheCommonOnesForExaiWs()
    {
        var chat = NewChat();
        var mcp = JsonNode.Parse(chat.InputSchema.Span)!.AsObject();
        Assert.Equal(
            ["prompt", "files", "images", "model", "temperature", "thinking_mode", "use_websearch", "continuation_id"],
            mcp["properties"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["prompt"], mcp["required"]!.AsArray().Select(n => (string)n!).ToArray());
        var schema = JsonNode.Parse(chat.ExaiWsInputSchema.Span)!.AsObject();
        Assert.Equal(
            ["prompt", "files", "images", "model", "temperature", "thinking_mode", "use_websearch", "continuation_id", "stream", "local_latency_ms"],
            schema["properties"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["prompt"], schema["required"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal("uuid", (string?)schema["properties"]!["continuation_id"]!["format"]);
        Assert.Equal(["minimal", "low", "medium", "high", "max"], schema["properties"]!["thinking_mode"]!["enum"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal(0, (int)schema["properties"]!["local_latency_ms"]!["minimum"]!);
        // The schema and the validation are the same declaration.
        Assert.Same(chat.Fields["prompt"], chat.Fields.All[0]);
    }

    [Theory]
    [InlineData("""{"prompt":"hi"}""", null)]
    [InlineData("""{}""", "'prompt' is required")]
    [InlineData("""{"prompt":"hi","temperature":2}""", "'temperature' must be a number from 0 to 1")]
    [InlineData("""{"prompt":"hi","thinking_mode":"deep"}""", "'thinking_mode' must be one of minimal, low, medium, high, max")]
    [InlineData("""{"prompt":"hi","continuation_id":"42"}""", "'continuation_id' must be a UUID (as an earlier answer returned it)")]
    [InlineData("""{"prompt":"hi","files":["/a",""]}""", "'files[1]' must be a non-empty string")]
    [InlineData("""{"prompt":"hi","stream":"yes"}""", "'stream' must be true or false")]
    [InlineData("""{"prompt":"hi","local_latency_ms":600001}""", "'local_latency_ms' must be an integer from 0 to 600000")]
    [InlineData("""{"prompt":"hi","model":"no-such-model"}""", "'model': unknown model 'no-such-model'")]
    [InlineData("[1]", "arguments must be an object")]
    public void ChatTool_Validate_NamesTheField(string json, string? error)
    {
        var validation = NewChat().Validate(Json(json));
        if (error is null)
        {
            Assert.Null(validation.Error);
            Assert.Equal(LocalModelProvider.ProviderName, validation.Lane);
        }
        else
        {
            Assert.NotNull(validation.Error);
            Assert.StartsWith(error, validation.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readers_GivenAWrongType_FallBack_NeverThrow()
    {
        using var document = JsonDocument.Parse("""{"files":[1,"a",null,{}],"prompt":5,"step_number":"2","temperature":"hot","stream":"yes","issues_found":3,"local_latency_ms":null}""");
        var arguments = new ToolArguments(document.RootElement);
        Assert.Equal(["", "a", "", ""], arguments.TextList("files"));
        Assert.Equal("fallback", arguments.Text("prompt", "fallback"));
        Assert.Null(arguments.Int("step_number"));
        Assert.Null(arguments.Int("local_latency_ms"));
        Assert.Null(arguments.Number("temperature"));
        Assert.Null(arguments.Bool("stream"));
        Assert.Empty(arguments.Objects("issues_found"));
    }

    private static ChatTool NewChat() => new(new ProviderRegistry([new LocalModelProvider(TimeSpan.Zero)], "auto"));
}
