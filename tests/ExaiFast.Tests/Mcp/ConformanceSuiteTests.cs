using System.Diagnostics;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The official MCP conformance suite (<c>@modelcontextprotocol/conformance</c>, tests/conformance) against the real
/// executable's Streamable HTTP endpoint, through <c>scripts/conformance.sh</c>, for revisions 2025-11-25 and 2026-07-28:
/// every scenario passes except those listed in tests/conformance/expected-failures-&lt;revision&gt;.yml, and every one
/// listed there still fails.
/// </summary>
public class ConformanceSuiteTests
{
    [Fact]
    public async Task TheOfficialConformanceSuite_PassesEveryScenarioThatAppliesToATools_OnlyServer()
    {
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "tests", "conformance", "node_modules", "@modelcontextprotocol", "conformance", "package.json")),
            "tests/conformance/node_modules is missing: run scripts/setup.sh (it runs npm ci)");

        var start = HermeticStart.Create("bash", new Dictionary<string, string>
        {
            ["CONFORMANCE_DAEMON_DLL"] = ExaiFastExecutable.PathForScripts, // the build under test, native or not
            ["NO_COLOR"] = "1",
        }, workingDirectory: RepoPaths.Root);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.ArgumentList.Add(Path.Combine("scripts", "conformance.sh"));

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(3)); // a whole run takes a few seconds
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string output = $"exit {process.ExitCode}\n--- stdout\n{await stdout}\n--- stderr\n{await stderr}";
        Assert.True(process.ExitCode == 0, output);
        int modernStart = output.IndexOf("conformance: revision 2026-07-28", StringComparison.Ordinal);
        Assert.True(modernStart > 0, output);
        string legacy = output[..modernStart];
        string modern = output[modernStart..];
        Assert.Contains("Baseline check passed", legacy, StringComparison.Ordinal);
        Assert.Contains("Baseline check passed", modern, StringComparison.Ordinal);
        foreach (string scenario in (string[])["server-initialize", "ping", "tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio",
            "tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-error", "tools-call-with-progress", "json-schema-2020-12",
            "server-sse-multiple-streams", "dns-rebinding-protection", "prompts-list"])
        {
            Assert.Matches($@"✓ {scenario}: [1-9]\d* passed, 0 failed", legacy); // passed with checks, not vacuously
        }

        foreach (string scenario in (string[])["tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio", "tools-call-embedded-resource",
            "tools-call-mixed-content", "tools-call-error", "tools-call-with-progress", "server-sse-multiple-streams", "resources-list",
            "sep-2164-resource-not-found", "dns-rebinding-protection", "http-header-validation", "tasks-capability-negotiation",
            "tasks-wire-fields", "tasks-request-state-removal", "tasks-request-headers", "tasks-required-task-error"])
        {
            Assert.Matches($@"✓ {scenario}: [1-9]\d* passed, 0 failed", modern);
        }
    }
}
