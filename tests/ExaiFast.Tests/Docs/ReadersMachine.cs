using System.Globalization;
using ExaiFast.Models;
using ExaiFast.Testing;
using ExaiFast.Tests.Models;
using ExaiFast.Tests.Redis;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// What a reader of the documents has when they run a command: a directory to run it in (with the <c>models.json</c>
/// the documents name, copied from docs/models.example.json, and the files their <c>/abs/...</c> paths stand for), a
/// model API (a real HTTP server playing an OpenAI-compatible one, every model it is asked for streaming an answer),
/// Redis when a document sets <c>REDIS_URL</c>, and the daemons the documents start — one per distinct set of settings,
/// shared by the commands that need it.
/// </summary>
public sealed class ReadersMachine : IAsyncLifetime
{
    private readonly Dictionary<string, Task<ExaiFastProcess>> _daemons = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _redisLock = new(1, 1);
    private RedisServer? _redis;
    private FakeOpenAIServer? _models;
    private Task<(string Host, string Port)>? _defaultAddress;

    /// <summary>The directory every documented command runs in.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("exaifast-doc-commands-").FullName;

    internal FakeOpenAIServer Models => _models ?? throw new InvalidOperationException("not initialized");

    public ValueTask InitializeAsync()
    {
        File.Copy(Path.Combine(RepoPaths.Root, "docs", "models.example.json"), Path.Combine(Directory, "models.json"));
        _models = FakeOpenAIServer.Start();
        foreach (var model in KnownModels.Kimi.Concat(KnownModels.Glm))
        {
            _models.Behaviors[model.Name] = "stream";
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The real file a documented <c>/abs/...</c> path stands for: made on first use, with a few lines of C#.</summary>
    public string AbsolutePath(string documented)
    {
        string path = Path.Combine(Directory, "abs-files", documented.TrimStart('/'));
        if (!File.Exists(path))
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"// {Path.GetFileName(path)}: a file a documented command names\ninternal sealed class Placeholder\n{{\n}}\n");
        }

        return path;
    }

    /// <summary>A running daemon with exactly <paramref name="settings"/> and <c>serve</c>'s <paramref name="flags"/>, started once and shared.</summary>
    internal Task<ExaiFastProcess> DaemonAsync(IReadOnlyDictionary<string, string> settings, IReadOnlyList<string>? flags = null)
    {
        flags ??= [];
        string key = string.Join('\n', settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}")) + "\n" + string.Join(' ', flags);
        lock (_daemons)
        {
            if (!_daemons.TryGetValue(key, out var daemon) || daemon.IsFaulted)
            {
                _daemons[key] = daemon = StartAsync(flags, settings);
            }

            return daemon;
        }
    }

    // `serve` with the documented flags (they carry their own port), in this machine's directory, where the settings'
    // relative paths (models.json) are; ready once /ready says so.
    private Task<ExaiFastProcess> StartAsync(IReadOnlyList<string> flags, IReadOnlyDictionary<string, string> settings) =>
        ExaiFastProcess.ReadyAsync(ExaiFastProcess.Start(settings, ["serve", .. flags], onStdoutLine: null, Directory));

    /// <summary>Where a daemon with no settings listens (host, port): found once by <paramref name="find"/>.</summary>
    internal Task<(string Host, string Port)> DefaultAddressAsync(Func<Task<(string Host, string Port)>> find)
    {
        lock (_daemons)
        {
            return _defaultAddress is { IsFaulted: false } known ? known : _defaultAddress = find();
        }
    }

    /// <summary>A real Redis for documented <c>REDIS_URL</c>s, started on first use.</summary>
    internal async Task<string> RedisUrlAsync()
    {
        await _redisLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            _redis ??= await RedisServer.StartNewAsync();
            return _redis.Url;
        }
        finally
        {
            _redisLock.Release();
        }
    }

    /// <summary>The model API's base URL, for every provider URL a document sets or implies.</summary>
    internal string ModelsUrl => Models.BaseUrl.ToString();

    internal static string Port(ExaiFastProcess daemon) => daemon.Port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Task<ExaiFastProcess>[] daemons;
        lock (_daemons)
        {
            daemons = [.. _daemons.Values];
        }

        foreach (var daemon in daemons)
        {
            try
            {
                await (await daemon).DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // it never became ready, and was stopped then (its test said why)
            }
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_models is not null)
        {
            await _models.DisposeAsync();
        }

        _redisLock.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
