using System.Reflection;
using ExaiFast.Testing;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// Every command line of the fenced shell blocks of README.md and docs/*.md is run, here or by what
/// <see cref="CommandsRunElsewhere"/> names. Here: each <c>exaifast</c> line as written — the real executable, the
/// documented arguments, a daemon started with the documented settings of its block — with only placeholders
/// (<c>…</c>, <c>&lt;id&gt;</c>, <c>/abs/...</c>) given real values, provider URLs pointed at a real HTTP server playing
/// the model API, and the port left to the OS; the <c>exaifast</c> command of a <c>claude mcp add</c> line, and its
/// URL; the curl, node and tool lines. A command that no longer works as documented fails here, naming its line.
/// </summary>
public sealed class DocumentedCommandsTests(ReadersMachine machine) : IClassFixture<ReadersMachine>
{
    private const string WhatToDo =
        "make it an exaifast, claude, curl, node or ollama line (this class runs those), or add it to CommandsRunElsewhere.Table " +
        "with the test (nameof) or CI script that runs it";

    private static readonly IReadOnlyList<DocumentedCommand> Commands = DocumentedCommands.All(RepoPaths.Root);

    /// <summary>Every block with a line this class runs, by where it opens (<c>docs/tools.md:110</c>).</summary>
    public static TheoryData<string> Blocks() => [.. Commands.Where(RunsHere).Select(c => c.BlockName).Distinct(StringComparer.Ordinal)];

    // The lines this class runs, or checks as far as they can be checked here.
    private static bool RunsHere(DocumentedCommand c) => c.Program switch
    {
        "exaifast" or "claude" or "curl" or "node" or "ollama" => true,
        "dotnet" => c.Arguments.Count > 0 && c.Arguments[0].EndsWith(".dll", StringComparison.Ordinal), // a tool of the repository
        "bash" => c.Arguments is ["scripts/conformance.sh", "--scenario", ..], // one scenario takes seconds
        _ => false,
    };

    [Fact]
    public void EveryCommandLine_IsRunHere_OrByWhatTheTableNames()
    {
        Assert.NotEmpty(Commands);
        var problems = new List<string>();
        foreach (var c in Commands)
        {
            bool mapped = CommandsRunElsewhere.Table.ContainsKey(c.Text);
            if (!RunsHere(c) && !mapped)
            {
                problems.Add($"{c.Where}: `{c.Text}`: nothing runs this documented command: {WhatToDo}");
            }
            else if (RunsHere(c) && mapped)
            {
                problems.Add($"{c.Where}: `{c.Text}`: runs here, yet CommandsRunElsewhere.Table maps it too: remove its entry");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void TheTable_MapsOnlyDocumentedLines_ToRunnersThatRunThem()
    {
        var documented = Commands.Select(c => c.Text).ToHashSet(StringComparer.Ordinal);
        string ci = File.ReadAllText(Path.Combine(RepoPaths.Root, ".ci", "run"));
        var problems = new List<string>();
        foreach (var (line, runner) in CommandsRunElsewhere.Table)
        {
            if (!documented.Contains(line))
            {
                problems.Add($"`{line}`: CommandsRunElsewhere.Table maps it, but no document has this command line any more: remove or update the entry");
                continue;
            }

            string script = ScriptOf(line);
            switch (runner)
            {
                case CommandsRunElsewhere.Ci(string file):
                    // CI runs .ci/run, and .ci/run runs the file (scripts/test.sh) that names the script.
                    string text = File.ReadAllText(Path.Combine(RepoPaths.Root, file));
                    if (!(file == ".ci/run" || ci.Contains(file, StringComparison.Ordinal)) || !text.Contains(script, StringComparison.Ordinal))
                    {
                        problems.Add($"`{line}`: mapped to CI through {file}, but {(text.Contains(script, StringComparison.Ordinal) ? ".ci/run does not run " + file : file + " does not name " + script)}");
                    }

                    break;
                case CommandsRunElsewhere.Test(var type, string method):
                    var test = type.GetMethod(method, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
                    if (test?.GetCustomAttributes<FactAttribute>(inherit: true).Any() != true)
                    {
                        problems.Add($"`{line}`: mapped to {type.Name}.{method}, which is not a test");
                    }
                    else if (SourceOf(type) is not { } source || !File.ReadAllText(source).Contains(Path.GetFileName(script), StringComparison.Ordinal))
                    {
                        problems.Add($"`{line}`: mapped to {type.Name}.{method}, whose source does not name {Path.GetFileName(script)}");
                    }

                    break;
                case CommandsRunElsewhere.Benchmark:
                    break; // BenchmarkLines_NameScriptsThatParse_AndFlagsAndVariablesTheyRead
                default:
                    problems.Add($"`{line}`: an unknown kind of runner {runner}");
                    break;
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task BenchmarkLines_NameScriptsThatParse_AndFlagsAndVariablesTheyRead()
    {
        var problems = new List<string>();
        foreach (var c in Commands.Where(c => CommandsRunElsewhere.Table.GetValueOrDefault(c.Text) is CommandsRunElsewhere.Benchmark))
        {
            string script = ScriptOf(c.Text);
            string path = Path.Combine(RepoPaths.Root, script);
            if (!File.Exists(path))
            {
                problems.Add($"{c.Where}: {script} does not exist");
                continue;
            }

            var parse = script.EndsWith(".py", StringComparison.Ordinal)
                ? await ProgramRun.StartAsync("python3", ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", path], new Dictionary<string, string>(), machine.Directory)
                : await ProgramRun.StartAsync("bash", ["-n", path], new Dictionary<string, string>(), machine.Directory);
            if (parse.Code != 0)
            {
                problems.Add($"{c.Where}: {script} does not parse: {parse.Stderr.Trim()}");
            }

            string text = File.ReadAllText(path);
            foreach (string flag in c.Arguments.Select(a => a.Trim('[', ']')).Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            {
                if (!text.Contains(flag, StringComparison.Ordinal))
                {
                    problems.Add($"{c.Where}: {script} knows no {flag}");
                }
            }

            // A variable is read by the script, or by the benchmark code it runs (perf/).
            foreach (var (name, _) in c.Environment)
            {
                if (!text.Contains(name, StringComparison.Ordinal) && !PerfSourcesName(name))
                {
                    problems.Add($"{c.Where}: neither {script} nor perf/ reads {name}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task Block_RunsAsDocumented(string block)
    {
        var lines = Commands.Where(c => c.BlockName == block).ToList();
        var run = new BlockRun(machine, lines);
        foreach (var c in lines.Where(RunsHere))
        {
            try
            {
                await run.RunAsync(c);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"{c.Where}: `{c.Text}` does not work as documented:\n{ex.Message}", ex);
            }
        }
    }

    [Fact]
    public void TheReader_JoinsContinuations_KeepsCommentsApart_AndReadsOnlyShellBlocks()
    {
        const string Markdown = """
            # A document

            ```sh
            # a comment alone is no command
            A=1 B="two words" exaifast serve   # the daemon
            exaifast call debug -a step="a # in quotes" \
              -a n=1 \
              -a files='["/abs/x.cs"]'

            ```
            ```json
            { "not": "a command" }
            ```
            ```console
            $ exaifast --version
            exaifast 1.0
            ```
            """;

        var commands = DocumentedCommands.Read("doc.md", Markdown).ToList();

        Assert.Equal(["doc.md:5", "doc.md:6", "doc.md:15"], commands.Select(c => c.Where));
        Assert.Equal(["doc.md:3", "doc.md:3", "doc.md:14"], commands.Select(c => c.BlockName));
        var serve = commands[0];
        Assert.Equal("A=1 B=\"two words\" exaifast serve", serve.Text);
        Assert.Equal("the daemon", serve.Comment);
        Assert.Equal([new("A", "1"), new KeyValuePair<string, string>("B", "two words")], serve.Environment);
        Assert.Equal("exaifast", serve.Program);
        Assert.Equal(["serve"], serve.Arguments);
        Assert.Equal(["call", "debug", "-a", "step=a # in quotes", "-a", "n=1", "-a", "files=[\"/abs/x.cs\"]"], commands[1].Arguments);
        Assert.Equal(["--version"], commands[2].Arguments);
    }

    // The script a line runs: its first word under scripts/.
    private static string ScriptOf(string line) =>
        ShellWords.Split(line).Words.FirstOrDefault(w => w.StartsWith("scripts/", StringComparison.Ordinal)) ?? line;

    // The file under tests/ that declares the class.
    private static string? SourceOf(Type type) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests"), type.Name + ".cs", SearchOption.AllDirectories)
            .FirstOrDefault(f => !f.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static bool PerfSourcesName(string name) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "perf"), "*.cs", SearchOption.AllDirectories)
            .Any(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && File.ReadAllText(f).Contains(name, StringComparison.Ordinal));
}
