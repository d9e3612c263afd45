using System.Diagnostics;

namespace ExaiFast.Testing;

/// <summary>
/// The <c>exaifast</c> that end-to-end tests start: the native binary named by <c>EXAIFAST_TEST_BINARY</c> (scripts/test.sh
/// publishes it, so CI tests what users install), else the JIT build beside the tests (<c>dotnet exec exaifast.dll</c>).
/// </summary>
public static class ExaiFastExecutable
{
    public const string Variable = "EXAIFAST_TEST_BINARY";

    /// <summary>The native binary under test, or null for the JIT build.</summary>
    public static string? NativeBinary { get; } = FindNativeBinary();

    /// <summary>The JIT build's assembly, copied beside the tests by the project reference.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "exaifast.dll");

    /// <summary>What to execute: the native binary, or dotnet.</summary>
    public static string FileName => NativeBinary ?? "dotnet";

    /// <summary>The arguments that come before exaifast's own: none for the native binary.</summary>
    public static IReadOnlyList<string> Prefix => NativeBinary is null ? ["exec", Dll] : [];

    /// <summary>One path for scripts and clients that run a <c>.dll</c> with dotnet and anything else as it is.</summary>
    public static string PathForScripts => NativeBinary ?? Dll;

    /// <summary><see cref="FileName"/>'s arguments, then <paramref name="args"/>, appended to <paramref name="start"/>.</summary>
    public static void AddArguments(ProcessStartInfo start, IEnumerable<string> args)
    {
        foreach (string a in Prefix.Concat(args))
        {
            start.ArgumentList.Add(a);
        }
    }

    // A variable that names nothing fails loudly: a CI that meant to test the native binary must not quietly test the JIT.
    private static string? FindNativeBinary()
    {
        string? path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        path = Path.GetFullPath(path);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{Variable}={path}: no such file (scripts/test.sh publishes it)");
    }
}
