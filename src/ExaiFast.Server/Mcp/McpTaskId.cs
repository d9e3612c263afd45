using System.Globalization;
using System.Security.Cryptography;
using ExaiFast.Core.Calls;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// A task's handle: when it was created (milliseconds since the Unix epoch, hex) and 128 random bits. Any daemon that
/// shares the results can then say when a task began from its id alone, and no client can guess another's task.
/// </summary>
internal static class McpTaskId
{
    private const int RandomHex = 32;

    // The dispatcher's key: a session of its own per task, as a stateless request has, so that no per-session limit
    // couples one client's tasks with another's and no session's end cancels a task.
    private const string SessionPrefix = "mcp-task-";

    public static string New(DateTimeOffset now) =>
        now.ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomHex / 2));

    public static CallKey KeyOf(string taskId) => new(SessionPrefix + taskId, taskId);

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
