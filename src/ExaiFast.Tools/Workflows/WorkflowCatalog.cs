using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Workflows;

/// <summary>The workflow tools of the original (ORIGINAL.md §7), with prompts of our own writing.</summary>
public static class WorkflowCatalog
{
    private const string Shared =
        " You are reviewing the work of another AI assistant who investigated step by step; its findings, issues and the relevant files follow." +
        " Be concrete: cite files and line numbers, say what is certain and what is a guess, and do not repeat the findings back — add to them." +
        " If the evidence is not enough to conclude, say what to look at next.";

    private static readonly string[] SeverityFilter = ["critical", "high", "medium", "low", "all"];

    /// <summary>Every workflow tool's description.</summary>
    public static IReadOnlyList<WorkflowSpec> All { get; } =
    [
        new()
        {
            Name = "thinkdeep",
            Title = "Think deep",
            Description = "Reason about a hard problem in steps; the last step asks a thinking model to challenge it.",
            StepDescription = "",
            SystemPrompt = "You are a senior engineer asked for a second, deeper look at a hard problem: test the hypotheses, look for what was missed, weigh the trade-offs, and end with a clear recommendation." + Shared,
            Guidance = "Keep investigating: test your hypothesis against the code, look for counter-evidence, then report the next step.",
            OwnFields =
            [
                Field.Text("problem_context", "Constraints, goals, what was tried.", nonBlank: true),
                Field.TextList("focus_areas", "", maxItems: 20, nonBlankItems: true),
            ],
        },
        new()
        {
            Name = "analyze",
            Title = "Analyze",
            Description = "Analyse code in steps; the last step asks a model for an assessment.",
            StepDescription = "",
            SystemPrompt = "You are a software architect assessing a codebase: its structure, how its parts depend on each other, where it will hurt as it grows, and what to change first." + Shared,
            Guidance = "Examine the next part of the code (entry points, dependencies, hot paths), then report what you found.",
            OwnFields =
            [
                Field.Text("analysis_type", "", oneOf: ["architecture", "performance", "security", "quality", "general"]),
                Field.Text("output_format", "", oneOf: ["summary", "detailed", "actionable"]),
            ],
        },
        new()
        {
            Name = "codereview",
            Title = "Code review",
            Description = "Review code in steps; the last step asks a model to review findings and files.",
            StepDescription = "",
            SystemPrompt = "You are a meticulous code reviewer: find real defects (correctness, concurrency, security, resource leaks) before style, rank them by severity, and give a concrete fix for each." + Shared,
            Guidance = "Review the next files or functions; record every issue with its severity, then report the step.",
            OwnFields =
            [
                Field.Text("review_type", "", oneOf: ["full", "security", "performance", "quick"]),
                Field.Text("focus_on", "", nonBlank: true),
                Field.Text("standards", "", nonBlank: true),
                Field.Text("severity_filter", "This severity and above.", oneOf: SeverityFilter),
            ],
        },
        new()
        {
            Name = "debug",
            Title = "Debug",
            Description = "Find a root cause in steps; the last step asks a model to confirm it.",
            StepDescription = "",
            SystemPrompt = "You are an expert debugger: from the evidence, name the most likely root cause, show the chain from cause to symptom, rule out the alternatives, and propose the smallest fix and a test that proves it." + Shared,
            Guidance = "Trace the failing path further or test your hypothesis with an experiment, then report what the evidence shows.",
        },
        new()
        {
            Name = "refactor",
            Title = "Refactor",
            Description = "Find refactorings in steps; the last step asks a model for a plan.",
            StepDescription = "",
            SystemPrompt = "You are a pragmatic engineer planning a refactoring: find what makes the code hard to change, propose steps that each keep it working, and order them by value for effort." + Shared,
            Guidance = "Look at the next module for smells, oversized types or dated patterns, then report the opportunities you found.",
            OwnFields =
            [
                Field.Text("refactor_type", "", oneOf: ["codesmells", "decompose", "modernize", "organization"]),
                Field.TextList("focus_areas", "", maxItems: 20, nonBlankItems: true),
                Field.TextList("style_guide_examples", "Absolute paths.", maxItems: 20, nonBlankItems: true),
            ],
        },
        new()
        {
            Name = "secaudit",
            Title = "Security audit",
            Description = "Security audit in steps; the last step asks a model to assess the risks.",
            StepDescription = "",
            SystemPrompt = "You are a security auditor: for each weakness give how it is exploited, its impact and likelihood, and the fix; look for what an attacker would try first (input, authentication, secrets, dependencies)." + Shared,
            Guidance = "Audit the next attack surface (inputs, authentication, secrets, dependencies), record each weakness with its severity, then report.",
            OwnFields =
            [
                Field.Text("security_scope", "", nonBlank: true),
                Field.Text("threat_level", "", oneOf: ["low", "medium", "high", "critical"]),
                Field.TextList("compliance_requirements", "e.g. SOC2, GDPR.", maxItems: 20, nonBlankItems: true),
                Field.Text("audit_focus", "", oneOf: ["owasp", "compliance", "infrastructure", "dependencies", "comprehensive"]),
                Field.Text("severity_filter", "This severity and above.", oneOf: SeverityFilter),
            ],
        },
        new()
        {
            Name = "testgen",
            Title = "Test generation",
            Description = "Plan tests in steps; the last step asks a model to write them.",
            StepDescription = "",
            SystemPrompt = "You are a test engineer: write tests that would catch real regressions — boundaries, error paths, concurrency, bad input — in the project's own framework and style, each with a name that says what it proves." + Shared,
            Guidance = "Study the next function's contract and failure modes, list the cases worth a test, then report.",
        },
        new()
        {
            Name = "tracer",
            Title = "Tracer",
            Description = "Trace calls or dependencies in steps; the last step asks a model to map them.",
            StepDescription = "",
            SystemPrompt = "You are mapping how code runs: lay out the call flow or the dependencies precisely, in order, with file and line for each hop, and point out surprises (hidden side effects, cycles, dynamic dispatch)." + Shared,
            Guidance = "Follow the next call or dependency, note file and line, then report.",
            OwnFields =
            [
                Field.Text("trace_mode", "", oneOf: ["precision", "dependencies", "ask"]),
                Field.Text("target_description", "", nonBlank: true),
            ],
        },
        new()
        {
            Name = "docgen",
            Title = "Documentation",
            Description = "Document code in steps; the last step asks a model to write it.",
            StepDescription = "",
            SystemPrompt = "You are writing documentation for engineers who will maintain this code: say what each part is for, how to use it, its complexity where it matters, and the non-obvious reasons behind it — briefly." + Shared,
            Guidance = "Document the next file, then report how many of the files are done.",
            OwnFields =
            [
                Field.Integer("num_files_documented", "", 0, 100_000),
                Field.Integer("total_files_to_document", "", 0, 100_000),
                Field.Boolean("document_complexity", ""),
                Field.Boolean("document_flow", ""),
                Field.Boolean("update_existing", ""),
                Field.Boolean("comments_on_complex_logic", ""),
            ],
        },
        new()
        {
            Name = "precommit",
            Title = "Pre-commit check",
            Description = "Check changes in steps; the last step asks a model to judge them.",
            StepDescription = "",
            SystemPrompt = "You are the last reviewer before a commit: check that the change does what it claims, breaks nothing around it, has tests, leaks no secret, and leaves no half-done work; say plainly whether it is ready." + Shared,
            Guidance = "Inspect the next part of the diff and what it touches, then report.",
            OwnFields =
            [
                Field.Text("path", "Repository path.", nonBlank: true),
                Field.Text("compare_to", "Branch, tag or commit.", nonBlank: true),
                Field.Boolean("include_staged", ""),
                Field.Boolean("include_unstaged", ""),
                Field.Text("focus_on", "", nonBlank: true),
                Field.Text("severity_filter", "This severity and above.", oneOf: SeverityFilter),
            ],
        },
    ];
}
