using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Workflows;

/// <summary>
/// Every workflow tool's input schema as MCP's tools/list gives it (the shared workflow fields, the tool's own, the
/// required list), and its validation: a table of bad arguments per tool, each answered INVALID_ARGUMENTS naming the field.
/// </summary>
public class WorkflowSchemaTests(LocalDaemonFixture fixture) : IClassFixture<LocalDaemonFixture>
{
    private static readonly string[] StepFields = ["step", "step_number", "total_steps", "next_step_required"];

    private static readonly string[] SharedFields =
    [
        .. StepFields, "findings", "files_checked", "relevant_files", "relevant_context", "issues_found", "confidence", "hypothesis",
        "backtrack_from_step", "use_assistant_model", "model", "temperature", "thinking_mode", "use_websearch", "images", "continuation_id",
    ];

    private static readonly string[] Severities = ["critical", "high", "medium", "low"];
    private static readonly string[] SeverityFilter = ["critical", "high", "medium", "low", "all"];

    /// <summary>Each tool's own fields (ORIGINAL.md §7), with the enum of those that have one.</summary>
    private static readonly Dictionary<string, (string Field, string[]? Enum)[]> OwnFields = new()
    {
        ["thinkdeep"] = [("problem_context", null), ("focus_areas", null)],
        ["analyze"] = [("analysis_type", ["architecture", "performance", "security", "quality", "general"]), ("output_format", ["summary", "detailed", "actionable"])],
        ["codereview"] = [("review_type", ["full", "security", "performance", "quick"]), ("focus_on", null), ("standards", null), ("severity_filter", SeverityFilter)],
        ["debug"] = [],
        ["refactor"] = [("refactor_type", ["codesmells", "decompose", "modernize", "organization"]), ("focus_areas", null), ("style_guide_examples", null)],
        ["secaudit"] =
        [
            ("security_scope", null), ("threat_level", ["low", "medium", "high", "critical"]), ("compliance_requirements", null),
            ("audit_focus", ["owasp", "compliance", "infrastructure", "dependencies", "comprehensive"]), ("severity_filter", SeverityFilter),
        ],
        ["testgen"] = [],
        ["tracer"] = [("trace_mode", ["precision", "dependencies", "ask"]), ("target_description", null)],
        ["docgen"] =
        [
            ("num_files_documented", null), ("total_files_to_document", null), ("document_complexity", null), ("document_flow", null),
            ("update_existing", null), ("comments_on_complex_logic", null),
        ],
        ["precommit"] = [("path", null), ("compare_to", null), ("include_staged", null), ("include_unstaged", null), ("focus_on", null), ("severity_filter", SeverityFilter)],
    };

    private static async Task<Dictionary<string, JsonObject>> SchemasAsync(Daemon daemon)
    {
        await using var client = await WorkflowCalls.McpAsync(daemon);
        var list = await WorkflowCalls.McpRequestAsync(client, "tools/list", new JsonObject());
        return list["result"]!["tools"]!.AsArray().ToDictionary(t => (string)t!["name"]!, t => t!["inputSchema"]!.AsObject());
    }

    [Fact]
    public async Task EveryWorkflowTool_IsListed_WithTheSharedFields_ItsOwn_AndTheRequiredOnes()
    {
        var daemon = fixture.Daemon;
        var schemas = await SchemasAsync(daemon);

        Assert.Equal(OwnFields.Keys.Order(StringComparer.Ordinal), WorkflowCalls.Tools.Order(StringComparer.Ordinal));
        foreach (var (tool, own) in OwnFields)
        {
            Assert.True(schemas.TryGetValue(tool, out var schema), $"{tool} is not in tools/list");
            var properties = schema!["properties"]!.AsObject();
            var missing = SharedFields.Concat(own.Select(o => o.Field)).Where(f => !properties.ContainsKey(f)).ToArray();
            Assert.True(missing.Length == 0, $"{tool} lacks {string.Join(", ", missing)}");
            Assert.Equal([.. StepFields, "findings"], WorkflowCalls.Strings(schema["required"]));
            foreach (var (field, values) in own.Where(o => o.Enum is not null))
            {
                Assert.Equal(values, WorkflowCalls.Strings(properties[field]!["enum"]));
            }

            Assert.Equal("uuid", (string?)properties["continuation_id"]!["format"]);
            Assert.Equal(["exploring", "low", "medium", "high", "very_high", "almost_certain", "certain"], WorkflowCalls.Strings(properties["confidence"]!["enum"]));
            var issue = properties["issues_found"]!["items"]!;
            Assert.Equal(Severities, WorkflowCalls.Strings(issue["properties"]!["severity"]!["enum"]));
            Assert.Equal(["severity", "description"], WorkflowCalls.Strings(issue["required"]));
            Assert.Equal(1, (int)properties["step_number"]!["minimum"]!);
            Assert.Equal("false on the last step.", (string?)properties["next_step_required"]!["description"]);
        }
    }

    [Fact]
    public async Task PlannerConsensusAndChallenge_AreListed_WithTheirFields()
    {
        var daemon = fixture.Daemon;
        var schemas = await SchemasAsync(daemon);

        var planner = schemas["planner"];
        foreach (string field in (string[])[.. StepFields, "is_step_revision", "revises_step_number", "is_branch_point", "branch_from_step", "branch_id", "more_steps_needed", "continuation_id"])
        {
            Assert.True(planner["properties"]!.AsObject().ContainsKey(field), $"planner lacks {field}");
        }

        Assert.Equal(StepFields, WorkflowCalls.Strings(planner["required"]));

        var consensus = schemas["consensus"];
        Assert.Equal([.. StepFields, "models"], WorkflowCalls.Strings(consensus["required"]));
        var model = consensus["properties"]!["models"]!["items"]!;
        Assert.Equal(["for", "against", "neutral"], WorkflowCalls.Strings(model["properties"]!["stance"]!["enum"]));
        Assert.Equal(["model"], WorkflowCalls.Strings(model["required"]));
        Assert.Equal(1, (int)consensus["properties"]!["models"]!["minItems"]!);

        Assert.Equal(["prompt"], WorkflowCalls.Strings(schemas["challenge"]["required"]));
    }

    /// <summary>Bad arguments for every workflow tool, and the words the error must hold (the field named first).</summary>
    public static TheoryData<string, string, string> BadArguments()
    {
        var cases = new (string Name, string Json, string Error)[]
        {
            ("step missing", """{"step_number":1,"total_steps":2,"next_step_required":true,"findings":"f"}""", "'step' is required"),
            ("step blank", """{"step":" \t ","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f"}""", "'step' must be a non-empty string"),
            ("findings blank", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":""}""", "'findings' must be a non-empty string"),
            ("findings missing", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true}""", "'findings' is required"),
            ("step_number a string", """{"step":"s","step_number":"1","total_steps":2,"next_step_required":true,"findings":"f"}""", "'step_number' must be an integer"),
            ("step_number a fraction", """{"step":"s","step_number":1.5,"total_steps":2,"next_step_required":true,"findings":"f"}""", "'step_number' must be an integer"),
            ("step_number 0", """{"step":"s","step_number":0,"total_steps":2,"next_step_required":true,"findings":"f"}""", "'step_number' must be an integer from 1 to 100"),
            ("total_steps 101", """{"step":"s","step_number":1,"total_steps":101,"next_step_required":true,"findings":"f"}""", "'total_steps' must be an integer from 1 to 100"),
            ("next_step_required a string", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":"false","findings":"f"}""", "'next_step_required' must be true or false"),
            ("next_step_required missing", """{"step":"s","step_number":1,"total_steps":2,"findings":"f"}""", "'next_step_required' is required"),
            ("step_number > total_steps", """{"step":"s","step_number":3,"total_steps":2,"next_step_required":true,"findings":"f"}""", "'step_number' (3) may not exceed 'total_steps' (2)"),
            ("backtrack = step", """{"step":"s","step_number":2,"total_steps":3,"next_step_required":true,"findings":"f","backtrack_from_step":2}""", "'backtrack_from_step' (2) must be below 'step_number' (2)"),
            ("backtrack > step", """{"step":"s","step_number":2,"total_steps":3,"next_step_required":true,"findings":"f","backtrack_from_step":3}""", "'backtrack_from_step' (3) must be below 'step_number' (2)"),
            ("bad confidence", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","confidence":"sure"}""", "'confidence' must be one of exploring, low"),
            ("blank hypothesis", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","hypothesis":"  "}""", "'hypothesis' must be a non-empty string"),
            ("files_checked not a list", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","files_checked":"/a"}""", "'files_checked' must be"),
            ("blank relevant file", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","relevant_files":["/a",""]}""", "'relevant_files[1]' must be a non-empty string"),
            ("issue severity", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","issues_found":[{"severity":"huge","description":"d"}]}""", "'issues_found[0].severity' must be one of critical, high, medium, low"),
            ("issue severity, second item", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","issues_found":[{"severity":"low","description":"d"},{"severity":3,"description":"d"}]}""", "'issues_found[1].severity'"),
            ("issue without description", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","issues_found":[{"severity":"high"}]}""", "'issues_found[0].description' is required"),
            ("issue not an object", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","issues_found":["high: d"]}""", "'issues_found[0]' must be an object"),
            ("temperature 2", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","temperature":2}""", "'temperature' must be a number from 0 to 1"),
            ("thinking_mode", """{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","thinking_mode":"deep"}""", "'thinking_mode' must be one of"),
            ("findings over 50,000 characters", $$"""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"{{new string('f', 50_001)}}"}""", "'findings' must be at most 50000 characters"),
            ("more than 100 relevant files", $$"""{"step":"s","step_number":1,"total_steps":2,"next_step_required":true,"findings":"f","relevant_files":{{Files(101)}}}""", "'relevant_files' may hold at most 100 items"),
            ("continuation_id not a UUID", """{"step":"s","step_number":2,"total_steps":2,"next_step_required":true,"findings":"f","continuation_id":"abc"}""", "'continuation_id' must be a UUID"),
            ("step 2 without continuation_id", """{"step":"s","step_number":2,"total_steps":3,"next_step_required":true,"findings":"f"}""", "'continuation_id' is required from step 2 on"),
            ("unknown continuation_id", """{"step":"s","step_number":2,"total_steps":3,"next_step_required":true,"findings":"f","continuation_id":"0b6f1b9e-0000-4000-8000-000000000001"}""", "'continuation_id': no conversation thread 0b6f1b9e-0000-4000-8000-000000000001"),
            ("final step, unknown model", """{"step":"s","step_number":1,"total_steps":1,"next_step_required":false,"findings":"f","model":"no-such-model"}""", "'model': unknown model 'no-such-model'"),
            ("final step, missing file", """{"step":"s","step_number":1,"total_steps":1,"next_step_required":false,"findings":"f","relevant_files":["/no/such/file.cs"]}""", "'relevant_files': '/no/such/file.cs' does not exist"),
        };
        var data = new TheoryData<string, string, string>();
        foreach (string tool in WorkflowCalls.Tools)
        {
            foreach (var c in cases)
            {
                data.Add(tool, c.Json, c.Error);
            }
        }

        // Each tool's own fields.
        const string Base = "\"step\":\"s\",\"step_number\":1,\"total_steps\":2,\"next_step_required\":true,\"findings\":\"f\"";
        data.Add("codereview", $$"""{{{Base}},"review_type":"thorough"}""", "'review_type' must be one of full, security, performance, quick");
        data.Add("codereview", $$"""{{{Base}},"severity_filter":"none"}""", "'severity_filter' must be one of critical, high, medium, low, all");
        data.Add("codereview", $$"""{{{Base}},"focus_on":" "}""", "'focus_on' must be a non-empty string");
        data.Add("analyze", $$"""{{{Base}},"analysis_type":"vibes"}""", "'analysis_type' must be one of");
        data.Add("analyze", $$"""{{{Base}},"output_format":1}""", "'output_format' must be");
        data.Add("refactor", $$"""{{{Base}},"refactor_type":"rewrite"}""", "'refactor_type' must be one of");
        data.Add("refactor", $$"""{{{Base}},"focus_areas":[""]}""", "'focus_areas[0]' must be a non-empty string");
        data.Add("secaudit", $$"""{{{Base}},"threat_level":"extreme"}""", "'threat_level' must be one of");
        data.Add("secaudit", $$"""{{{Base}},"audit_focus":"everything"}""", "'audit_focus' must be one of");
        data.Add("secaudit", $$"""{{{Base}},"compliance_requirements":"SOC2"}""", "'compliance_requirements' must be");
        data.Add("tracer", $$"""{{{Base}},"trace_mode":"fast"}""", "'trace_mode' must be one of precision, dependencies, ask");
        data.Add("docgen", $$"""{{{Base}},"num_files_documented":-1}""", "'num_files_documented' must be an integer from 0");
        data.Add("docgen", $$"""{{{Base}},"document_flow":"yes"}""", "'document_flow' must be true or false");
        data.Add("precommit", $$"""{{{Base}},"include_staged":1}""", "'include_staged' must be true or false");
        data.Add("precommit", $$"""{{{Base}},"path":""}""", "'path' must be a non-empty string");
        data.Add("thinkdeep", $$"""{{{Base}},"problem_context":"  "}""", "'problem_context' must be a non-empty string");
        return data;
    }

    [Theory]
    [MemberData(nameof(WorkflowCalls.ToolNames), MemberType = typeof(WorkflowCalls))]
    public async Task FindingsOf50000Characters_And100RelevantFiles_AreTaken(string tool)
    {
        // The other side of the two limits refused above: a step at exactly 50,000 characters and 100 files is a step.
        // (The files are only read by a final step, which this is not.)
        await using var client = await ExaiWsClient.ConnectAsync(fixture.Daemon.Uri);
        var arguments = WorkflowCalls.Step(1, 2, more: true, new string('f', 50_000), extra: new JsonObject { ["relevant_files"] = JsonNode.Parse(Files(100)) });
        var result = await WorkflowCalls.CallAsync(client, tool, arguments);
        Assert.True((bool?)result["ok"], result.ToJsonString());
    }

    private static string Files(int count) => new JsonArray([.. Enumerable.Range(1, count).Select(i => JsonValue.Create($"/src/file{i}.cs"))]).ToJsonString();

    [Theory]
    [MemberData(nameof(BadArguments))]
    public async Task BadArguments_AreInvalidArguments_NamingTheField(string tool, string json, string error)
    {
        var daemon = fixture.Daemon;
        await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
        long before = daemon.LocalModel.Requests;

        var (code, message) = await WorkflowCalls.ErrorAsync(client, tool, JsonNode.Parse(json)!.AsObject());

        Assert.Equal("INVALID_ARGUMENTS", code);
        Assert.Contains(error, message, StringComparison.Ordinal);
        Assert.Equal(before, daemon.LocalModel.Requests); // refused before any model was asked
    }
}
