namespace ExaiFast.Testing;

/// <summary>Finds files of the repository from the test binary's folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Clients => Path.Combine(Root, "tests", "clients");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExaiFast.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ExaiFast.sln not found above " + AppContext.BaseDirectory);
    }
}
