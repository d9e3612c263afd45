using ExaiFast.Core.Dispatch;

namespace ExaiFast.Configuration;

/// <summary>
/// Binds <see cref="ExaiFastSettings"/> from, lowest to highest, defaults, a <c>.env</c> file, the environment and
/// command-line flags, and validates every value before anything binds a socket.
/// </summary>
public static class SettingsLoader
{
    /// <summary>Loads and validates. Throws <see cref="ConfigurationException"/> with one line naming the bad setting.</summary>
    /// <param name="environment">Environment variables (only catalogued keys are read).</param>
    /// <param name="flags">Flag values given on the command line, keyed by setting key.</param>
    /// <param name="envFile">An explicit <c>.env</c> path (must exist), or null to read <c>./.env</c> when present.</param>
    public static ExaiFastSettings Load(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> flags, string? envFile)
    {
        var values = new Dictionary<string, SettingValue>(StringComparer.Ordinal);
        string? path = envFile ?? (File.Exists(".env") ? ".env" : null);
        if (path is not null)
        {
            if (!File.Exists(path))
            {
                throw new ConfigurationException($"--env-file '{path}' does not exist");
            }

            foreach (var (key, value) in DotEnvFile.Parse(File.ReadAllText(path), path))
            {
                values[key] = new SettingValue(value, path);
            }
        }

        foreach (var (key, value) in environment)
        {
            values[key] = new SettingValue(value, "environment");
        }

        foreach (var definition in SettingsCatalog.All)
        {
            if (definition.Flag is not null && flags.TryGetValue(definition.Key, out string? flagValue))
            {
                values[definition.Key] = new SettingValue(flagValue, definition.Flag);
            }
        }

        var settings = new ExaiFastSettings();
        foreach (var definition in SettingsCatalog.All)
        {
            if (!values.TryGetValue(definition.Key, out var given))
            {
                continue;
            }

            // An empty environment variable means "unset", as in the original daemon.
            if (given.Value.Length == 0 && given.Origin == "environment")
            {
                continue;
            }

            var (result, allowed) = definition.Apply(settings, given.Value);
            if (result is null)
            {
                string shown = definition.IsSecret ? "***" : given.Value;
                string name = given.Origin.StartsWith("--", StringComparison.Ordinal) ? given.Origin : $"{definition.Key} (from {given.Origin})";
                throw new ConfigurationException($"invalid {name}: '{shown}' is not {allowed}");
            }

            settings = result;
        }

        return CrossCheck(settings);
    }

    private static ExaiFastSettings CrossCheck(ExaiFastSettings settings)
    {
        if (settings.Server.MaxConnectionsPerIp > settings.Server.MaxConnections)
        {
            // Not an error: a per-IP limit above the total simply never binds first.
            settings = settings with { Server = settings.Server with { MaxConnectionsPerIp = settings.Server.MaxConnections } };
        }

        // The original's timeout hierarchy: the daemon's deadline is 1.5 × the tool timeout unless set explicitly.
        var callTimeout = settings.CallTimeout ?? settings.WorkflowToolTimeout * 1.5;
        settings = settings with { Dispatcher = settings.Dispatcher with { CallTimeout = callTimeout } };

        // A message the size limit allows but the budget cannot hold would wait for ever (and end 1008): refuse it here.
        if (settings.Server.EffectiveInboundBudgetBytes < settings.Server.MaxMessageBytes)
        {
            throw new ConfigurationException(
                $"invalid EXAIFAST_INBOUND_BUDGET_MB: {settings.Server.InboundBudgetBytes >> 20} MiB is below EXAI_WS_MAX_BYTES ({settings.Server.MaxMessageBytes}); the budget must hold the largest message");
        }

        var marks = MemoryMarks.Resolve(settings.Dispatcher);
        if (marks.HighWater >= marks.Critical)
        {
            throw new ConfigurationException(
                $"invalid memory marks: EXAIFAST_MEMORY_HIGH_MB ({marks.HighWater >> 20}) must be below EXAIFAST_MEMORY_CRITICAL_MB ({marks.Critical >> 20})");
        }

        var providers = settings.Providers;
        if (providers.OpenAICompatibleBaseUrl.Length > 0 && providers.OpenAICompatibleModels.Count == 0)
        {
            throw new ConfigurationException("OPENAI_COMPATIBLE_BASE_URL is set but OPENAI_COMPATIBLE_MODELS names no model (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2)");
        }

        if (!providers.DefaultModel.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            var known = providers.Configured().SelectMany(o => o.Models.SelectMany(m => m.Aliases.Prepend(m.Name)).Prepend(o.Name))
                .Concat(["local", Models.Local.LocalModelProvider.ModelName]);
            if (!known.Contains(providers.DefaultModel, StringComparer.OrdinalIgnoreCase))
            {
                throw new ConfigurationException(
                    $"invalid DEFAULT_MODEL: '{providers.DefaultModel}' is not auto or a model of a configured provider ({string.Join(", ", known)})");
            }
        }

        if (settings.ExaiWs.Token.Length == 0 && !settings.AllowRemoteWithoutToken && !IsLoopback(settings.Server.Host))
        {
            throw new ConfigurationException(
                $"refusing to listen on {settings.Server.Host} without a token: set EXAI_WS_TOKEN, or pass --allow-remote-without-token");
        }

        return settings;
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
