using System.Globalization;
using ExaiFast.Configuration;
using ExaiFast.Core.Dispatch;
using ExaiFast.Hosting;
using ExaiFast.Server;
using ExaiFast.Server.Mcp;
using ExaiFast.Tools.Catalog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Cli;

/// <summary>
/// <c>exaifast tools --size</c>: what the <c>tools/list</c> answer costs a client's context, per profile (full, lean and
/// the one the settings select), measured on the bytes the daemon really sends rather than estimated.
/// </summary>
internal static class ToolListSize
{
    /// <summary>The usual rule of thumb for English and JSON: about four characters per token.</summary>
    private const int CharsPerToken = 4;

    /// <summary>One line per profile; exit 2 when the settings are invalid.</summary>
    public static async Task<int> PrintAsync(IReadOnlyDictionary<string, string> environment, TextWriter stdout, TextWriter stderr)
    {
        ExaiFastSettings settings;
        try
        {
            settings = SettingsLoader.Load(environment, new Dictionary<string, string>(), envFile: null);
        }
        catch (ConfigurationException ex)
        {
            await stderr.WriteLineAsync($"exaifast: {ex.Message}").ConfigureAwait(false);
            return ExaiFastCli.ExitConfig;
        }

        // The tools' schemas do not depend on providers or stores: an in-memory store stands in for Redis, and nothing connects.
        var local = settings with { RedisUrl = null };
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.ClearProviders());
        services.AddToolServices(local);
        await using var provider = services.BuildServiceProvider();
        var tools = ToolServices.CreateTools(provider, local, provider.GetRequiredService<DaemonStatus>());

        // Two listings: what MCP clients before 2025-06-18 get, and what later ones get (with title, annotations and
        // outputSchema); 2025-03-26 clients get the first plus annotations.
        foreach (var (heading, shape) in new[] { ("MCP before 2025-06-18", ToolShape.Plain), ("MCP 2025-06-18 and later", ToolShape.Structured) })
        {
            await stdout.WriteLineAsync($"{heading}:").ConfigureAwait(false);
            await stdout.WriteLineAsync("profile     tools    bytes  ~tokens").ConfigureAwait(false);
            foreach (var (label, selection) in new[]
            {
                ("full", ToolSelection.Full),
                ("lean", ToolSelection.Parse("lean", "")),
                ("selected", settings.Tools),
            })
            {
                var catalog = new ToolCatalog(tools, selection);
                var list = McpMessages.ToolsList("1", catalog, new McpDialect(shape, IsModern: false));
                int bytes = list.Length;
                list.Return();
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{label,-10} {catalog.All.Count,6} {bytes,8} {(bytes + CharsPerToken - 1) / CharsPerToken,8}")).ConfigureAwait(false);
            }
        }

        await stdout.WriteLineAsync($"selected: {ToolSelection.ProfileKey}={settings.ToolProfile}{(settings.DisabledTools.Length > 0 ? $", {ToolSelection.DisabledKey}={settings.DisabledTools}" : "")}").ConfigureAwait(false);
        return 0;
    }
}
