using System.Diagnostics;

namespace ExaiFast.Testing;

/// <summary>
/// How every test starts a child process: an empty environment plus what any process needs to start and what the test
/// sets, in a working directory of its own. A KIMI_API_KEY, REDIS_URL or OPENAI_COMPATIBLE_* in a developer's shell,
/// or a ./.env where the tests happen to run, must never change what a test runs against.
/// </summary>
public static class HermeticStart
{
    // Finding executables, the home directory (dotnet and node keep their caches there) and a private .NET install.
    // Nothing else: even DOTNET_gcServer or DOTNET_TieredPGO in a shell would change what the daemon does.
    private static readonly string[] Inherited = ["PATH", "HOME", "TMPDIR"];

    private const string WorkingDirectoryPrefix = "exaifast-test-cwd-";

    /// <summary>An empty file to pass as <c>--env-file</c> to anything that would otherwise read <c>./.env</c>.</summary>
    public static string EmptyEnvFile { get; } = CreateEmptyEnvFile();

    /// <summary>
    /// A start for <paramref name="fileName"/> with only the inherited essentials and <paramref name="environment"/>,
    /// in <paramref name="workingDirectory"/> or else a new empty directory (<see cref="DeleteWorkingDirectory(ProcessStartInfo)"/>).
    /// </summary>
    public static ProcessStartInfo Create(string fileName, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? NewWorkingDirectory(),
        };
        start.Environment.Clear();
        foreach (string name in Inherited)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        foreach (var (name, value) in ProcessEnvironment())
        {
            if (name.StartsWith("DOTNET_ROOT", StringComparison.Ordinal))
            {
                start.Environment[name] = value;
            }
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>
    /// For launchers that start from this process's environment and take overrides (the MCP SDK's stdio transport): every
    /// inherited variable but the essentials set to null (removed), then <paramref name="environment"/>.
    /// </summary>
    public static Dictionary<string, string?> Overrides(IReadOnlyDictionary<string, string> environment)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, _) in ProcessEnvironment())
        {
            if (!Inherited.Contains(name) && !name.StartsWith("DOTNET_ROOT", StringComparison.Ordinal))
            {
                overrides[name] = null;
            }
        }

        foreach (var (name, value) in environment)
        {
            overrides[name] = value;
        }

        return overrides;
    }

    /// <summary>A new empty directory to run a child process in (<see cref="DeleteWorkingDirectory(string)"/>).</summary>
    public static string NewWorkingDirectory() => Directory.CreateTempSubdirectory(WorkingDirectoryPrefix).FullName;

    /// <summary>Removes the directory <see cref="Create"/> made (best effort: a process may still hold a file in it).</summary>
    public static void DeleteWorkingDirectory(ProcessStartInfo start) => DeleteWorkingDirectory(start.WorkingDirectory);

    /// <summary>Removes a directory <see cref="NewWorkingDirectory"/> made, and nothing else.</summary>
    public static void DeleteWorkingDirectory(string dir)
    {
        if (Path.GetFileName(dir).StartsWith(WorkingDirectoryPrefix, StringComparison.Ordinal))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // best effort
            }
        }
    }

    private static IEnumerable<(string Name, string Value)> ProcessEnvironment()
    {
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            yield return ((string)e.Key, (string?)e.Value ?? string.Empty);
        }
    }

    // One shared path, (re)written empty by every test process: concurrent runs all write the same nothing.
    private static string CreateEmptyEnvFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "exaifast-tests-empty.env");
        File.WriteAllText(path, string.Empty);
        return path;
    }
}
