using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using ExaiFast.Tests.Stdio;

namespace ExaiFast.Tests.Tools;

/// <summary>
/// A file the daemon may not read is refused with INVALID_ARGUMENTS naming it: the real executable, because a mode of
/// 000 stops only a process without root's read-any-file capabilities.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes, libc
public sealed class UnreadableFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("exaifast-files-");

    public void Dispose()
    {
        foreach (var file in _dir.EnumerateFiles("*", SearchOption.AllDirectories))
        {
            file.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task AnUnreadableFile_IsRefused()
    {
        string path = Path.Combine(_dir.FullName, "secret.txt");
        File.WriteAllText(path, "secret");
        File.SetUnixFileMode(path, UnixFileMode.None);

        // A mode of 000 does not stop root, who reads any file through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH; CI runs
        // as root. So the real daemon reads it in a process of its own, which as root runs without those two
        // capabilities (setpriv drops them from its bounding set before the exec) and as anyone else runs as it is.
        string[] exaifast = [ExaiFastExecutable.FileName, .. ExaiFastExecutable.Prefix, "stdio", "--in-process"];
        string[] command = geteuid() == 0 ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search", .. exaifast] : exaifast;
        await using var stdio = StdioProcess.StartCommand(new Dictionary<string, string>(), command[0], command[1..]);
        await stdio.InitializeAsync();
        await stdio.RequestAsync(1, "tools/call", new JsonObject
        {
            ["name"] = "chat",
            ["arguments"] = new JsonObject { ["prompt"] = "read it", ["files"] = new JsonArray(path) },
        });

        var result = (await stdio.ResponseAsync(1))["result"]!;
        Assert.True((bool?)result["isError"], result.ToJsonString());
        Assert.Contains($"'files': '{path}' cannot be read (permission denied)", (string?)result["content"]![0]!["text"], StringComparison.Ordinal);
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
