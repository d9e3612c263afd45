using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;

namespace ExaiFast.Cli;

/// <summary>
/// <c>exaifast --version</c>: the version, the commit it was built from and how it runs, so that a bug report names the
/// exact binary. The SDK's Source Link stamps the commit into the informational version (<c>0.1.0+&lt;sha&gt;</c>).
/// </summary>
internal static class VersionText
{
    public static string Describe()
    {
        string informational = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = informational.IndexOf('+', StringComparison.Ordinal);
        string version = plus < 0 ? informational : informational[..plus];
        string commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        // A native binary compiles nothing at run time. (RuntimeFeature.IsDynamicCodeCompiled cannot tell: PublishAot
        // switches dynamic code off in the JIT build's runtimeconfig too, so development behaves as the binary does.)
        string runtime = JitInfo.GetCompiledMethodCount() == 0
            ? $"native {RuntimeInformation.RuntimeIdentifier}"
            : $"{RuntimeInformation.FrameworkDescription}, JIT";
        return $"exaifast {version} (commit {commit}; {runtime})";
    }

    /// <summary>Makes the root command's <c>--version</c> print <see cref="Describe"/>.</summary>
    public static void Install(RootCommand root, TextWriter stdout)
    {
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintAction(stdout);
            }
        }
    }

    private sealed class PrintAction(TextWriter stdout) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            stdout.WriteLine(Describe());
            return 0;
        }
    }
}
