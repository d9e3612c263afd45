using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ExaiFast.Cli;

/// <summary><c>exaifast threads</c>: the running daemon's recent conversation threads, newest first.</summary>
internal static class ThreadsCommand
{
    public static Command Create(Option<string> url, string? token, TextWriter stdout, TextWriter stderr)
    {
        var threads = new Command("threads",
            "List the running daemon's recent conversation threads, newest first: id (a continuation_id), tool, model, turns, last update and title (the first prompt). MCP clients read them as resources exaifast://threads/<id>.");
        var json = new Option<bool>("--json") { Description = "Print the raw list_threads_res frame." };
        threads.Add(url);
        threads.Add(json);
        threads.SetAction(async (parse, ct) => await ClientCommands.WithClientAsync(parse.GetValue(url)!, token, stderr, ct, async client =>
        {
            await client.SendAsync(new JsonObject { ["op"] = "list_threads", ["request_id"] = "threads" }, ct).ConfigureAwait(false);
            var res = await client.ReceiveAsync(ct).ConfigureAwait(false);
            if (res is null || (string?)res["op"] == "error")
            {
                await stderr.WriteLineAsync(res is null
                    ? "exaifast: the daemon closed the connection before answering"
                    : $"exaifast: {(string?)res["error"]?["code"]}: {(string?)res["error"]?["message"]}").ConfigureAwait(false);
                return 1;
            }

            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(res.ToJsonString()).ConfigureAwait(false);
                return 0;
            }

            if (res["daemon_wide"]?.GetValue<bool>() != true)
            {
                await stderr.WriteLineAsync("exaifast: this daemon listens beyond loopback without a token, so it lists a caller only the threads its own session made").ConfigureAwait(false);
            }

            var list = res["threads"]?.AsArray() ?? [];
            if (list.Count == 0)
            {
                await stderr.WriteLineAsync("exaifast: no conversation threads (none made yet, or all expired)").ConfigureAwait(false);
                return 0;
            }

            await stdout.WriteLineAsync($"{"ID",-36}  {"TOOL",-11} {"MODEL",-22} {"TURNS",5}  {"UPDATED (UTC)",-19}  TITLE").ConfigureAwait(false);
            foreach (var thread in list)
            {
                string updated = DateTimeOffset.TryParse((string?)thread!["updated_at"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                    : "?";
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{(string?)thread["id"],-36}  {(string?)thread["tool"],-11} {(string?)thread["model"] ?? "-",-22} {(int?)thread["turns"],5}  {updated,-19}  {(string?)thread["title"]}")).ConfigureAwait(false);
            }

            return 0;
        }).ConfigureAwait(false));
        return threads;
    }
}
