using System.Globalization;
using System.Security.Cryptography;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// A task's handle: when it was created (milliseconds since the Unix epoch, hex) and 128 random bits. Any daemon that
/// shares the results can then say when a task began from its id alone, and no client can guess another's task.
/// </summary>
/// <remarks>
/// A task made for an OAuth subject is kept under a key that names the subject too (a hash of it): another subject who
/// learns the id looks under another key and finds nothing, here and on every daemon sharing the store, with nothing
/// else to remember per task. Without an owner (no OAuth, or the daemon's own token) the id alone is the key.
/// </remarks>
internal static class McpTaskId
{
    private const int RandomHex = 32;

    // The dispatcher's key: a session of its own per task, as a stateless request has, so that no per-session limit
    // couples one client's tasks with another's and no session's end cancels a task.
    private const string SessionPrefix = "mcp-task:";

    public static string New(DateTimeOffset now) =>
        now.ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomHex / 2));

    /// <summary>The dispatcher's key of <paramref name="taskId"/> made for <paramref name="owner"/> (null: none).</summary>
    public static CallKey KeyOf(string taskId, string? owner) =>
        new(owner is null ? SessionPrefix + taskId : string.Concat(SessionPrefix, OwnerTag(owner), "-", taskId), taskId);

    // 128 bits of the owner's hash: the key stays short and says nothing of who the owner is (keys go to Redis).
    private static string OwnerTag(string owner) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(owner)).AsSpan(0, 16));

    /// <summary>Whether <paramref name="taskId"/> has the shape <see cref="New"/> gives, and when it was created.</summary>
    public static bool TryParse(string? taskId, out DateTimeOffset createdAt)
    {
        createdAt = default;
        int dash = taskId?.IndexOf('-') ?? -1;
        if (dash is < 1 or > 12 || taskId!.Length != dash + 1 + RandomHex || !IsLowerHex(taskId.AsSpan(dash + 1))
            || !long.TryParse(taskId.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long ms)
            || ms < 0 || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        createdAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text) => !text.ContainsAnyExcept("0123456789abcdef");
}
