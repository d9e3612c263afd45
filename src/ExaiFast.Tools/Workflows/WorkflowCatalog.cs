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
            Description = "Extended, hypothesis-driven reasoning over a hard problem, in steps you carry out; the final step asks a strong thinking model to challenge and deepen your conclusions.",
            StepDescription = "What you are thinking through in this step: the question, the angle, what you checked.",
            SystemPrompt = "You are a senior engineer asked for a second, deeper look at a hard problem: test the hypotheses, look for what was missed, weigh the trade-offs, and end with a clear recommendation." + Shared,
            Guidance = "Keep investigating: test your hypothesis against the code, look for counter-evidence, then report the next step.",
            OwnFields =
            [
                Field.Text("problem_context", "Background the model needs: constraints, goals, what was tried.", nonBlank: true),
                Field.TextList("focus_areas", "Aspects to weigh especially (e.g. performance, security, maintainability).", maxItems: 20, nonBlankItems: true),
            ],
        },
        new()
        {
            Name = "analyze",
            Description = "Code and architecture analysis in steps: structure, performance, security, quality; the final step asks a model for an expert assessment.",
            StepDescription = "What you analyse in this step: which part of the code, and from which angle.",
            SystemPrompt = "You are a software architect assessing a codebase: its structure, how its parts depend on each other, where it will hurt as it grows, and what to change first." + Shared,
            Guidance = "Examine the next part of the code (entry points, dependencies, hot paths), then report what you found.",
            OwnFields =
            [
                Field.Text("analysis_type", "The kind of analysis.", oneOf: ["architecture", "performance", "security", "quality", "general"]),
                Field.Text("output_format", "How the final assessment is laid out.", oneOf: ["summary", "detailed", "actionable"]),
            ],
        },
        new()
        {
            Name = "codereview",
            Description = "A systematic code review in steps: correctness, security, performance, maintainability; the final step asks a model to review your findings and the files.",
            StepDescription = "What you review in this step: which files or changes, and what you look for.",
            SystemPrompt = "You are a meticulous code reviewer: find real defects (correctness, concurrency, security, resource leaks) before style, rank them by severity, and give a concrete fix for each." + Shared,
            Guidance = "Review the next files or functions; record every issue with its severity, then report the step.",
            OwnFields =
            [
                Field.Text("review_type", "What kind of review.", oneOf: ["full", "security", "performance", "quick"]),
                Field.Text("focus_on", "Anything to look at especially.", nonBlank: true),
                Field.Text("standards", "Coding standards to hold the code to.", nonBlank: true),
                Field.Text("severity_filter", "Report issues of this severity and above.", oneOf: SeverityFilter),
            ],
        },
        new()
        {
            Name = "debug",
            Description = "Root-cause investigation in steps: reproduce, trace, form and test hypotheses; the final step asks a model to confirm or refute the root cause.",
            StepDescription = "What you investigate in this step: the symptom, the code path, the experiment.",
            SystemPrompt = "You are an expert debugger: from the evidence, name the most likely root cause, show the chain from cause to symptom, rule out the alternatives, and propose the smallest fix and a test that proves it." + Shared,
            Guidance = "Trace the failing path further or test your hypothesis with an experiment, then report what the evidence shows.",
        },
        new()
        {
            Name = "refactor",
            Description = "Find refactoring opportunities in steps: code smells, decomposition, modernisation, organisation; the final step asks a model for a prioritised plan.",
            StepDescription = "What you examine in this step for refactoring opportunities.",
            SystemPrompt = "You are a pragmatic engineer planning a refactoring: find what makes the code hard to change, propose steps that each keep it working, and order them by value for effort." + Shared,
            Guidance = "Look at the next module for smells, oversized types or dated patterns, then report the opportunities you found.",
            OwnFields =
            [
                Field.Text("refactor_type", "The kind of refactoring sought.", oneOf: ["codesmells", "decompose", "modernize", "organization"]),
                Field.TextList("focus_areas", "Aspects to weigh especially.", maxItems: 20, nonBlankItems: true),
                Field.TextList("style_guide_examples", "Absolute paths of files that show the style to follow.", maxItems: 20, nonBlankItems: true),
            ],
        },
        new()
        {
            Name = "secaudit",
            Description = "A security audit in steps: OWASP, compliance, infrastructure, dependencies; the final step asks a strong model to assess the risks found.",
            StepDescription = "What you audit in this step: which component, which threat.",
            SystemPrompt = "You are a security auditor: for each weakness give how it is exploited, its impact and likelihood, and the fix; look for what an attacker would try first (input, authentication, secrets, dependencies)." + Shared,
            Guidance = "Audit the next attack surface (inputs, authentication, secrets, dependencies), record each weakness with its severity, then report.",
            OwnFields =
            [
                Field.Text("security_scope", "What is in scope: the application, its environment, its users.", nonBlank: true),
                Field.Text("threat_level", "How exposed the system is.", oneOf: ["low", "medium", "high", "critical"]),
                Field.TextList("compliance_requirements", "Standards to check against (e.g. SOC2, PCI DSS, GDPR).", maxItems: 20, nonBlankItems: true),
                Field.Text("audit_focus", "Where the audit concentrates.", oneOf: ["owasp", "compliance", "infrastructure", "dependencies", "comprehensive"]),
                Field.Text("severity_filter", "Report issues of this severity and above.", oneOf: SeverityFilter),
            ],
        },
        new()
        {
            Name = "testgen",
            Description = "Test generation in steps: find what the code must do and where it can break; the final step asks a model to write the tests.",
            StepDescription = "What you examine in this step: which function or behaviour, which edge cases.",
            SystemPrompt = "You are a test engineer: write tests that would catch real regressions — boundaries, error paths, concurrency, bad input — in the project's own framework and style, each with a name that says what it proves." + Shared,
            Guidance = "Study the next function's contract and failure modes, list the cases worth a test, then report.",
        },
        new()
        {
            Name = "tracer",
            Description = "Trace call flows or dependencies in steps; the final step asks a model to lay out the flow or the dependency map.",
            StepDescription = "What you trace in this step: which call, which dependency.",
            SystemPrompt = "You are mapping how code runs: lay out the call flow or the dependencies precisely, in order, with file and line for each hop, and point out surprises (hidden side effects, cycles, dynamic dispatch)." + Shared,
            Guidance = "Follow the next call or dependency, note file and line, then report.",
            OwnFields =
            [
                Field.Text("trace_mode", "precision: one call's flow; dependencies: what depends on what; ask: decide from the target.", oneOf: ["precision", "dependencies", "ask"]),
                Field.Text("target_description", "What to trace, and why.", nonBlank: true),
            ],
        },
        new()
        {
            Name = "docgen",
            Description = "Documentation generation in steps, file by file; the final step asks a model to write the documentation.",
            StepDescription = "What you document in this step: which file or API.",
            SystemPrompt = "You are writing documentation for engineers who will maintain this code: say what each part is for, how to use it, its complexity where it matters, and the non-obvious reasons behind it — briefly." + Shared,
            Guidance = "Document the next file, then report how many of the files are done.",
            OwnFields =
            [
                Field.Integer("num_files_documented", "Files documented so far.", 0, 100_000),
                Field.Integer("total_files_to_document", "Files to document in all.", 0, 100_000),
                Field.Boolean("document_complexity", "Include the algorithmic complexity of functions."),
                Field.Boolean("document_flow", "Include how calls flow between functions."),
                Field.Boolean("update_existing", "Update existing documentation rather than only add."),
                Field.Boolean("comments_on_complex_logic", "Add comments to complex logic."),
            ],
        },
        new()
        {
            Name = "precommit",
            Description = "Validate changes before they are committed, in steps: what changed, what it breaks, what is missing; the final step asks a model to judge the change.",
            StepDescription = "What you check in this step: which changes, against what.",
            SystemPrompt = "You are the last reviewer before a commit: check that the change does what it claims, breaks nothing around it, has tests, leaks no secret, and leaves no half-done work; say plainly whether it is ready." + Shared,
            Guidance = "Inspect the next part of the diff and what it touches, then report.",
            OwnFields =
            [
                Field.Text("path", "Absolute path of the repository.", nonBlank: true),
                Field.Text("compare_to", "A branch, tag or commit to compare against, instead of the working tree.", nonBlank: true),
                Field.Boolean("include_staged", "Include staged changes."),
                Field.Boolean("include_unstaged", "Include unstaged changes."),
                Field.Text("focus_on", "Anything to check especially.", nonBlank: true),
                Field.Text("severity_filter", "Report issues of this severity and above.", oneOf: SeverityFilter),
            ],
        },
    ];
}
