using System.Globalization;
using ExaiFast.Core.Dispatch;
using ExaiFast.Models;

namespace ExaiFast.Configuration;

/// <summary>
/// The checks between settings, after each value passed its own: values that are each in range but contradict each
/// other, and the values derived from others. A relation that involves a value already refused is not checked (its
/// default stands in for it, and a second line about a default nobody chose would mislead).
/// </summary>
internal static class SettingRelations
{
    /// <summary>Derives what is derived, adds a line to <paramref name="problems"/> for each contradiction, and returns the settings.</summary>
    /// <param name="settings">The settings, each value applied.</param>
    /// <param name="given">The settings given a value (not left at their default).</param>
    /// <param name="bad">The settings whose value was refused.</param>
    /// <param name="problems">Where the lines go.</param>
    public static ExaiFastSettings Check(ExaiFastSettings settings, IReadOnlySet<string> given, IReadOnlySet<string> bad, List<string> problems)
    {
        if (settings.Server.MaxConnectionsPerIp > settings.Server.MaxConnections)
        {
            // Not an error: a per-IP limit above the total simply never binds first.
            settings = settings with { Server = settings.Server with { MaxConnectionsPerIp = settings.Server.MaxConnections } };
        }

        // The original's timeout hierarchy: the daemon's deadline is 1.5 × the tool timeout unless set explicitly.
        var callTimeout = settings.CallTimeout ?? settings.WorkflowToolTimeout * 1.5;
        settings = settings with { Dispatcher = settings.Dispatcher with { CallTimeout = callTimeout } };

        CheckTimeouts(settings, given, bad, problems);
        CheckRateBursts(settings, given, bad, problems);

        // A message the size limit allows but the budget cannot hold would wait for ever (and end 1008): refuse it here.
        if (Fine(bad, "EXAIFAST_INBOUND_BUDGET_MB", "EXAI_WS_MAX_BYTES") && settings.Server.EffectiveInboundBudgetBytes < settings.Server.MaxMessageBytes)
        {
            problems.Add(
                $"invalid EXAIFAST_INBOUND_BUDGET_MB: {settings.Server.InboundBudgetBytes >> 20} MiB is below EXAI_WS_MAX_BYTES ({settings.Server.MaxMessageBytes}); the budget must hold the largest message");
        }

        var marks = MemoryMarks.Resolve(settings.Dispatcher);
        if (Fine(bad, "EXAIFAST_MEMORY_HIGH_MB", "EXAIFAST_MEMORY_CRITICAL_MB") && marks.HighWater >= marks.Critical)
        {
            problems.Add($"invalid memory marks: EXAIFAST_MEMORY_HIGH_MB ({marks.HighWater >> 20}) must be below EXAIFAST_MEMORY_CRITICAL_MB ({marks.Critical >> 20})");
        }

        settings = ModelRelations.Check(settings, bad, problems, out bool modelsFine);
        var providers = settings.Providers;
        bool openAIFine = Fine(bad, "OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_MODELS");
        if (openAIFine && modelsFine && providers.OpenAICompatibleBaseUrl.Length > 0 && providers.Catalogue("openai").Count == 0)
        {
            problems.Add("OPENAI_COMPATIBLE_BASE_URL is set but OPENAI_COMPATIBLE_MODELS names no model (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2)" +
                (providers.ModelsFile.Length > 0 ? ", nor does EXAIFAST_MODELS_FILE" : ""));
        }

        if (openAIFine && modelsFine && Fine(bad, "DEFAULT_MODEL", "KIMI_API_URL", "GLM_API_URL") && UnknownDefaultModel(providers) is { } unknown)
        {
            problems.Add(unknown);
        }

        CheckOAuth(settings, bad, problems);
        if (Fine(bad, "EXAI_WS_TOKEN", "EXAI_WS_HOST", "EXAIFAST_OAUTH_ISSUER") && settings.ExaiWs.Token.Length == 0 && !settings.OAuth.Enabled
            && !settings.AllowRemoteWithoutToken && !IsLoopback(settings.Server.Host))
        {
            problems.Add($"refusing to listen on {settings.Server.Host} without a token: set EXAI_WS_TOKEN or EXAIFAST_OAUTH_ISSUER, or pass --allow-remote-without-token");
        }

        return settings;
    }

    // Deadlines that contradict each other: one that can never fire because another, which should come after it, always
    // comes first. The call's deadline may still end a provider's request (the provider code leaves its total to the call
    // when the call has less left): that is the call's deadline doing its job, not a contradiction.
    private static void CheckTimeouts(ExaiFastSettings settings, IReadOnlySet<string> given, IReadOnlySet<string> bad, List<string> problems)
    {
        // Both set: the operator gave the tools a time and the calls a shorter deadline. The tool timeout then does nothing.
        if (settings.CallTimeout is { } call && given.Contains("WORKFLOW_TOOL_TIMEOUT_SECS") && Fine(bad, "WORKFLOW_TOOL_TIMEOUT_SECS")
            && call < settings.WorkflowToolTimeout)
        {
            problems.Add(
                $"invalid EXAI_WS_CALL_TIMEOUT_SECS: the call deadline ({Seconds(call)} s) is below WORKFLOW_TOOL_TIMEOUT_SECS ({Seconds(settings.WorkflowToolTimeout)} s); " +
                "a call must outlast its tool (leave EXAI_WS_CALL_TIMEOUT_SECS unset for 1.5 × the tool timeout)");
        }

        var providers = settings.Providers;
        if (Fine(bad, "EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS"))
        {
            foreach (var (key, timeout, what) in new[]
            {
                ("EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS", providers.HeadersTimeout, "one attempt's wait for response headers"),
                ("EXAIFAST_PROVIDER_IDLE_TIMEOUT_SECS", providers.IdleTimeout, "one silence in a streamed answer"),
            })
            {
                if (Fine(bad, key) && providers.TotalTimeout <= timeout)
                {
                    problems.Add(
                        $"invalid EXAIFAST_PROVIDER_TOTAL_TIMEOUT_SECS: {Seconds(providers.TotalTimeout)} s is not above {key} ({Seconds(timeout)} s); " +
                        $"a whole model request, retries included, must outlast {what}");
                }
            }
        }
    }

    // DEFAULT_MODEL is looked up as the daemon's registry looks it up: the configured providers' models, their aliases and
    // the providers' names, and the offline local model.
    private static string? UnknownDefaultModel(ProviderSettings providers)
    {
        string name = providers.DefaultModel.Trim();
        if (name.Equals(ProviderRegistry.Auto, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var known = providers.Configured().SelectMany(o => o.Models.SelectMany(m => m.Aliases.Prepend(m.Name)).Prepend(o.Name))
            .Concat([Models.Local.LocalModelProvider.ProviderName, Models.Local.LocalModelProvider.ModelName])
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (known.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var options in providers.Configured())
        {
            if (options.AllowList is { } allowList && allowList.Hidden.Any(m => ProviderSettings.IsCalled(m, name)))
            {
                return $"invalid DEFAULT_MODEL: '{name}' is hidden by {allowList.Setting}, which allows {string.Join(", ", options.Models.Select(m => m.Name))}";
            }
        }

        // A model of a built-in provider whose key is missing is a different mistake from a name nobody serves.
        foreach (var (provider, key, models) in new[] { ("kimi", "KIMI_API_KEY", providers.Catalogue("kimi")), ("glm", "GLM_API_KEY", providers.Catalogue("glm")) })
        {
            if (name.Equals(provider, StringComparison.OrdinalIgnoreCase) || models.Any(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase)
                || m.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase)))
            {
                return $"invalid DEFAULT_MODEL: '{name}' is a {provider} model, but {key} is not set, so no {provider} provider is configured";
            }
        }

        return $"invalid DEFAULT_MODEL: '{name}' is not auto or a model of a configured provider ({string.Join(", ", known)})";
    }

    // The audience cannot be guessed: behind a reverse proxy the daemon does not know the URL its clients use, and a wrong
    // one would refuse every token. Either OAuth setting without the issuer would be silently ignored.
    private static void CheckOAuth(ExaiFastSettings settings, IReadOnlySet<string> bad, List<string> problems)
    {
        var oauth = settings.OAuth;
        if (!Fine(bad, "EXAIFAST_OAUTH_ISSUER", "EXAIFAST_OAUTH_AUDIENCE", "EXAIFAST_OAUTH_REQUIRED_SCOPES"))
        {
            return;
        }

        if (oauth.Enabled && oauth.Audience.Length == 0)
        {
            problems.Add("EXAIFAST_OAUTH_ISSUER is set but EXAIFAST_OAUTH_AUDIENCE is not: set it to the URL clients reach /mcp at (e.g. https://mcp.example.com/mcp), which the issuer's tokens name as their audience");
        }
        else if (!oauth.Enabled && (oauth.Audience.Length > 0 || oauth.RequiredScopes.Count > 0))
        {
            problems.Add($"{(oauth.Audience.Length > 0 ? "EXAIFAST_OAUTH_AUDIENCE" : "EXAIFAST_OAUTH_REQUIRED_SCOPES")} is set but EXAIFAST_OAUTH_ISSUER is not: set the issuer whose tokens to accept, or leave the OAuth settings out");
        }
    }

    // A burst with its rate off would be silently ignored: the operator meant to limit something.
    private static void CheckRateBursts(ExaiFastSettings settings, IReadOnlySet<string> given, IReadOnlySet<string> bad, List<string> problems)
    {
        var rates = settings.Server.RateLimits;
        foreach (var (burst, rate, limit) in new[]
        {
            ("EXAIFAST_RATE_CONNECTIONS_BURST", "EXAIFAST_RATE_CONNECTIONS_PER_IP", rates.ConnectionsPerIp),
            ("EXAIFAST_RATE_CALLS_PER_IP_BURST", "EXAIFAST_RATE_CALLS_PER_IP", rates.CallsPerIp),
            ("EXAIFAST_RATE_CALLS_PER_SESSION_BURST", "EXAIFAST_RATE_CALLS_PER_SESSION", rates.CallsPerSession),
        })
        {
            if (given.Contains(burst) && Fine(bad, burst, rate) && limit.Burst > 0 && !limit.IsOn)
            {
                problems.Add($"invalid {burst}: {limit.Burst} is a burst of a limit that is off ({rate} is 0); set {rate} too, or leave the burst out");
            }
        }
    }

    private static bool Fine(IReadOnlySet<string> bad, params string[] keys) => !keys.Any(bad.Contains);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="host"/> (EXAI_WS_HOST) is a loopback address.</summary>
    internal static bool IsLoopback(string host) =>
        host == "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
