namespace ExaiFast.Configuration;

/// <summary>Where a setting's value came from, lowest precedence first.</summary>
internal enum SettingSource
{
    /// <summary>Nothing gave it: the catalogue's default (or a value derived from other settings).</summary>
    Default,

    /// <summary>The <c>.env</c> file (<c>./.env</c> or <c>--env-file</c>).</summary>
    EnvFile,

    /// <summary>An environment variable.</summary>
    Environment,

    /// <summary>A command-line flag.</summary>
    Flag,
}
