using System.Text;
using ExaiFast.Core.Tools;

namespace ExaiFast.Tools.Files;

/// <summary>
/// Reads the files a call names and embeds them, numbered line by line, for the model: exactly the files named, each
/// checked (absolute, under the allowed roots, present, readable, text, within the size caps), and any failure a clear
/// INVALID_ARGUMENTS naming the file — never a silent skip, never a directory walked.
/// </summary>
public sealed class FileReader(FileLimits limits)
{
    /// <summary>The limits it keeps.</summary>
    public FileLimits Limits => limits;

    /// <summary>Reads <paramref name="paths"/> (from argument <paramref name="field"/>) and returns them as one text block; empty for none.</summary>
    public async ValueTask<string> EmbedAsync(IReadOnlyList<string> paths, string field, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
        {
            return string.Empty;
        }

        int distinct = paths.Distinct(StringComparer.Ordinal).Count();
        if (distinct > limits.MaxFiles)
        {
            throw new ToolArgumentException($"'{field}': {distinct} files named, at most {limits.MaxFiles} are read per call");
        }

        var text = new StringBuilder();
        long total = 0;
        foreach (string path in paths.Distinct(StringComparer.Ordinal))
        {
            string full = Check(path, field);
            byte[] bytes = await ReadAsync(full, path, field, cancellationToken).ConfigureAwait(false);
            total += bytes.Length;
            if (total > limits.MaxTotalBytes)
            {
                throw new ToolArgumentException($"'{field}': the files come to more than {Kib(limits.MaxTotalBytes)} together (EXAIFAST_FILES_MAX_KB); name fewer");
            }

            AppendNumbered(text, path, Decode(bytes, path, field));
        }

        return text.ToString();
    }

    private string Check(string path, string field)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new ToolArgumentException($"'{field}': '{path}' is not an absolute path; name files by their full path");
        }

        string full = Path.GetFullPath(path);
        if (limits.Roots.Count > 0 && (Resolve(full, 0) is not { } real || !limits.Roots.Any(root => Resolve(Path.GetFullPath(root), 0) is { } r && IsUnder(real, r))))
        {
            throw new ToolArgumentException($"'{field}': '{path}' is outside the directories this daemon may read (EXAIFAST_FILE_ROOTS)");
        }

        return full;
    }

    private async ValueTask<byte[]> ReadAsync(string full, string path, string field, CancellationToken cancellationToken)
    {
        if (Directory.Exists(full))
        {
            throw new ToolArgumentException($"'{field}': '{path}' is a directory; name the files in it");
        }

        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new ToolArgumentException($"'{field}': '{path}' does not exist");
        }

        if (info.Length > limits.MaxFileBytes)
        {
            throw new ToolArgumentException($"'{field}': '{path}' is {Kib(info.Length)}, more than the {Kib(limits.MaxFileBytes)} read per file (EXAIFAST_FILE_MAX_KB)");
        }

        try
        {
            // Read at most one byte past the cap: a file that grew since it was measured is still refused, not read whole.
            await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
            var buffer = new byte[Math.Min(info.Length, limits.MaxFileBytes) + 1];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read > limits.MaxFileBytes)
            {
                throw new ToolArgumentException($"'{field}': '{path}' is more than the {Kib(limits.MaxFileBytes)} read per file (EXAIFAST_FILE_MAX_KB)");
            }

            return buffer.AsSpan(0, read).ToArray();
        }
        catch (UnauthorizedAccessException)
        {
            throw new ToolArgumentException($"'{field}': '{path}' cannot be read (permission denied)");
        }
        catch (IOException ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ToolArgumentException($"'{field}': '{path}' does not exist");
        }
        catch (IOException)
        {
            throw new ToolArgumentException($"'{field}': '{path}' cannot be read");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Text is what decodes as UTF-8 and has no NUL: a model gains nothing from an image's or a binary's bytes.
    private static string Decode(byte[] bytes, string path, string field)
    {
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            throw new ToolArgumentException($"'{field}': '{path}' is a binary file; only text files are read");
        }

        try
        {
            var span = bytes.AsSpan();
            if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                span = span[3..];
            }

            return StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException)
        {
            throw new ToolArgumentException($"'{field}': '{path}' is not UTF-8 text; only text files are read");
        }
    }

    private static void AppendNumbered(StringBuilder text, string path, string content)
    {
        var lines = content.Split('\n');
        int count = content.Length == 0 ? 0 : content.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        text.Append("--- BEGIN FILE: ").Append(path).Append(" (").Append(count).Append(count == 1 ? " line" : " lines").Append(") ---\n");
        int width = Math.Max(4, count.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        for (int i = 0; i < count; i++)
        {
            text.Append((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width)).Append("│ ").Append(lines[i].TrimEnd('\r')).Append('\n');
        }

        text.Append("--- END FILE: ").Append(path).Append(" ---\n");
    }

    // The path with every symbolic link in it followed, as realpath(3) gives it: a link under a root must not lead
    // outside it (Path.GetFullPath only normalises the text). A part that does not exist is kept as written (the read
    // then says so); null for a chain of links too long to be a real one (a loop).
    private static string? Resolve(string full, int depth)
    {
        string root = Path.GetPathRoot(full)!;
        string current = root;
        foreach (string part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (depth >= 40 || Resolve(Path.GetFullPath(target, current), depth + 1) is not { } resolved)
                {
                    return null;
                }

                next = resolved;
            }

            current = next;
        }

        return current;
    }

    private static bool IsUnder(string full, string root)
    {
        string r = Path.TrimEndingDirectorySeparator(root);
        return full.Equals(r, StringComparison.Ordinal) || full.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private static string Kib(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.#} MiB" : $"{Math.Ceiling(bytes / 1024.0):0} KiB";
}
