using System.Text;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Files;

namespace ExaiFast.Tools.Tests.Files;

/// <summary>
/// The files a call names, read from disk: exactly those named (duplicates once), numbered by line; and every file that
/// cannot be given to a model — relative, outside the roots, missing, a directory, binary, not UTF-8, too big on its own
/// or together, too many — a clear INVALID_ARGUMENTS naming the field and the file.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes, libc
public sealed class FileReaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("exaifast-files-");

    public void Dispose()
    {
        foreach (var file in _dir.EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.LinkTarget is null))
        {
            file.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _dir.Delete(recursive: true);
    }

    private string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static Task<string> EmbedAsync(FileLimits limits, params string[] paths) =>
        new FileReader(limits).EmbedAsync(paths, "files", TestContext.Current.CancellationToken).AsTask();

    private static Task<string> EmbedAsync(params string[] paths) => EmbedAsync(new FileLimits(), paths);

    private static async Task<string> RefusedAsync(FileLimits limits, params string[] paths) =>
        (await Assert.ThrowsAsync<ToolArgumentException>(() => EmbedAsync(limits, paths))).Message;

    private static Task<string> RefusedAsync(params string[] paths) => RefusedAsync(new FileLimits(), paths);

    [Fact]
    public async Task None_IsEmpty()
    {
        Assert.Equal("", await EmbedAsync());
    }

    [Fact]
    public async Task AFile_IsEmbeddedWithItsPath_AndEveryLineNumbered()
    {
        string path = Write("a.cs", "first\r\nsecond\n\n  indented\n");
        Assert.Equal(
            $"--- BEGIN FILE: {path} (4 lines) ---\n" +
            "   1│ first\n" +
            "   2│ second\n" +
            "   3│ \n" +
            "   4│   indented\n" +
            $"--- END FILE: {path} ---\n",
            await EmbedAsync(path));
    }

    [Fact]
    public async Task ALastLineWithoutNewline_IsCounted_AndABomIsDropped()
    {
        string path = Write("b.txt", [0xEF, 0xBB, 0xBF, .. "one\ntwo"u8]);
        Assert.Equal($"--- BEGIN FILE: {path} (2 lines) ---\n   1│ one\n   2│ two\n--- END FILE: {path} ---\n", await EmbedAsync(path));
    }

    [Fact]
    public async Task ManyLines_WidenTheNumbers()
    {
        string path = Write("long.txt", string.Concat(Enumerable.Range(1, 12345).Select(i => $"l{i}\n")));
        string text = await EmbedAsync(path);
        Assert.Contains("\n    1│ l1\n", text, StringComparison.Ordinal);
        Assert.Contains("\n12345│ l12345\n", text, StringComparison.Ordinal);
        Assert.Contains("(12345 lines)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeveralFiles_InTheOrderNamed_ADuplicateReadOnce()
    {
        string a = Write("a.txt", "alpha\n");
        string b = Write("b.txt", "beta\n");
        string text = await EmbedAsync(b, a, b);
        Assert.Equal(1, Count(text, $"BEGIN FILE: {b} "));
        Assert.Equal(1, Count(text, $"BEGIN FILE: {a} "));
        Assert.True(text.IndexOf(b, StringComparison.Ordinal) < text.IndexOf(a, StringComparison.Ordinal));

        // Read once: counted once against the total too (6 + 5 bytes fit in 11).
        await EmbedAsync(new FileLimits { MaxTotalBytes = 11 }, a, b, a, b);
    }

    [Fact]
    public async Task UnicodeText_IsReadAsUtf8()
    {
        string path = Write("u.md", "héllo — 世界 😀\n");
        Assert.Contains("   1│ héllo — 世界 😀\n", await EmbedAsync(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relative/a.txt")]
    [InlineData("./a.txt")]
    [InlineData("a.txt")]
    public async Task ARelativePath_IsRefused(string path)
    {
        Assert.Equal($"'files': '{path}' is not an absolute path; name files by their full path", await RefusedAsync(path));
    }

    [Fact]
    public async Task AMissingFile_IsRefusedByName()
    {
        string path = Path.Combine(_dir.FullName, "nope.txt");
        Assert.Equal($"'files': '{path}' does not exist", await RefusedAsync(Write("ok.txt", "x"), path));
    }

    [Fact]
    public async Task ADirectory_IsRefused_NeverWalked()
    {
        Write("sub/inner.txt", "x");
        string dir = Path.Combine(_dir.FullName, "sub");
        Assert.Equal($"'files': '{dir}' is a directory; name the files in it", await RefusedAsync(dir));
    }

    [Fact]
    public async Task ABinaryFile_IsRefused()
    {
        string path = Write("img.png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]);
        Assert.Equal($"'files': '{path}' is a binary file; only text files are read", await RefusedAsync(path));
    }

    [Fact]
    public async Task ANulInOtherwiseTextIsBinary()
    {
        string path = Write("nul.txt", "text\0more");
        Assert.Contains("is a binary file", await RefusedAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonUtf8Text_IsRefused()
    {
        string path = Write("latin1.txt", [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\n']); // "café" in Latin-1
        Assert.Equal($"'files': '{path}' is not UTF-8 text; only text files are read", await RefusedAsync(path));
    }

    [Fact]
    public async Task AFileOverThePerFileCap_IsRefusedByName_AtTheCapItIsRead()
    {
        var limits = new FileLimits { MaxFileBytes = 1024 };
        string atCap = Write("at.txt", new string('a', 1024));
        string over = Write("over.txt", new string('a', 1025));
        await EmbedAsync(limits, atCap);
        Assert.Equal($"'files': '{over}' is 2 KiB, more than the 1 KiB read per file (EXAIFAST_FILE_MAX_KB)", await RefusedAsync(limits, atCap, over));
    }

    [Fact]
    public async Task FilesOverTheTotalCap_AreRefused_AtTheCapTheyAreRead()
    {
        var limits = new FileLimits { MaxTotalBytes = 2048 };
        string a = Write("a.txt", new string('a', 1024));
        string b = Write("b.txt", new string('b', 1024));
        string c = Write("c.txt", "c");
        await EmbedAsync(limits, a, b);
        Assert.Equal("'files': the files come to more than 2 KiB together (EXAIFAST_FILES_MAX_KB); name fewer", await RefusedAsync(limits, a, b, c));
    }

    [Fact]
    public async Task TooManyFiles_AreRefused()
    {
        var limits = new FileLimits { MaxFiles = 2 };
        string[] paths = [Write("1", "1"), Write("2", "2"), Write("3", "3")];
        await EmbedAsync(limits, paths[..2]);
        Assert.Equal("'files': 3 files named, at most 2 are read per call", await RefusedAsync(limits, paths));
    }

    [Fact]
    public async Task Roots_AFileUnderARootIsRead_OneOutsideIsRefused()
    {
        string inside = Write("root/in.txt", "in");
        string outside = Write("elsewhere/out.txt", "out");
        string sibling = Write("root-sibling/x.txt", "x"); // shares the root's name as a prefix
        string root = Path.Combine(_dir.FullName, "root");
        var limits = new FileLimits { Roots = [Path.Combine(_dir.FullName, "other"), root + "/"] };

        Assert.Contains("in", await EmbedAsync(limits, inside), StringComparison.Ordinal);
        Assert.Equal($"'files': '{outside}' is outside the directories this daemon may read (EXAIFAST_FILE_ROOTS)", await RefusedAsync(limits, outside));
        Assert.Contains("is outside the directories", await RefusedAsync(limits, sibling), StringComparison.Ordinal);

        // ".." cannot climb out of a root.
        string climbing = Path.Combine(root, "..", "elsewhere", "out.txt");
        Assert.Equal($"'files': '{climbing}' is outside the directories this daemon may read (EXAIFAST_FILE_ROOTS)", await RefusedAsync(limits, climbing));
    }

    [Fact]
    public async Task Roots_ASymlinkUnderARootToAFileOutside_IsRefused()
    {
        string outside = Write("elsewhere/secret.txt", "secret");
        string root = Path.Combine(_dir.FullName, "root");
        Directory.CreateDirectory(root);
        string link = Path.Combine(root, "innocent.txt");
        File.CreateSymbolicLink(link, outside);
        var limits = new FileLimits { Roots = [root] };

        Assert.Equal($"'files': '{link}' is outside the directories this daemon may read (EXAIFAST_FILE_ROOTS)", await RefusedAsync(limits, link));
    }

    [Fact]
    public async Task Roots_ASymlinkedDirectoryUnderARootToADirectoryOutside_IsRefused()
    {
        string outside = Write("elsewhere/secret.txt", "secret");
        string root = Path.Combine(_dir.FullName, "root");
        Directory.CreateDirectory(root);
        Directory.CreateSymbolicLink(Path.Combine(root, "linked"), Path.GetDirectoryName(outside)!);
        string viaLink = Path.Combine(root, "linked", "secret.txt");
        var limits = new FileLimits { Roots = [root] };

        Assert.Contains("is outside the directories", await RefusedAsync(limits, viaLink), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roots_SymlinksThatStayInside_AndARootThatIsItselfASymlink_AreRead()
    {
        string real = Write("real/inner/a.txt", "inside\n");
        string realRoot = Path.Combine(_dir.FullName, "real");
        File.CreateSymbolicLink(Path.Combine(realRoot, "alias.txt"), real); // a link within the root
        string linkedRoot = Path.Combine(_dir.FullName, "linked-root");
        Directory.CreateSymbolicLink(linkedRoot, realRoot); // a root configured through a link

        Assert.Contains("inside", await EmbedAsync(new FileLimits { Roots = [realRoot] }, Path.Combine(realRoot, "alias.txt")), StringComparison.Ordinal);
        Assert.Contains("inside", await EmbedAsync(new FileLimits { Roots = [linkedRoot] }, Path.Combine(linkedRoot, "inner", "a.txt")), StringComparison.Ordinal);
        Assert.Contains("inside", await EmbedAsync(new FileLimits { Roots = [linkedRoot] }, real), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roots_ALoopOfSymlinks_IsRefused_NotFollowedForever()
    {
        string root = Path.Combine(_dir.FullName, "root");
        Directory.CreateDirectory(root);
        File.CreateSymbolicLink(Path.Combine(root, "a"), Path.Combine(root, "b"));
        File.CreateSymbolicLink(Path.Combine(root, "b"), Path.Combine(root, "a"));
        await RefusedAsync(new FileLimits { Roots = [root] }, Path.Combine(root, "a"));
    }

    [Fact]
    public async Task TheFieldNamed_IsTheOneInTheError()
    {
        var ex = await Assert.ThrowsAsync<ToolArgumentException>(() =>
            new FileReader(new FileLimits()).EmbedAsync(["x"], "relevant_files", TestContext.Current.CancellationToken).AsTask());
        Assert.StartsWith("'relevant_files': 'x'", ex.Message, StringComparison.Ordinal);
    }

    private static int Count(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
