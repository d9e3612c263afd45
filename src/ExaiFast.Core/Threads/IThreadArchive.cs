namespace ExaiFast.Core.Threads;

/// <summary>
/// The conversation threads as the doors show them (MCP resources, exai-ws <c>list_threads</c>/<c>read_thread</c>,
/// <c>exaifast threads</c>): summaries to list, and a thread's turns as text to read. Read-only.
/// </summary>
/// <remarks>A thread's id is what lets a caller continue it, so whoever knows an id may read that thread; listing the
/// daemon's threads beyond those a session made is for callers the daemon trusts (see the doors).</remarks>
public interface IThreadArchive
{
    /// <summary>Most threads a list holds: the newest, so that listing stays bounded whatever the store holds.</summary>
    const int MaxListed = 200;

    /// <summary>
    /// The threads among <paramref name="ids"/> that still exist, and with <paramref name="daemonWide"/> the daemon's
    /// most recently updated ones too; newest first (ties by id), at most <see cref="MaxListed"/>.
    /// </summary>
    ValueTask<IReadOnlyList<ThreadSummary>> ListAsync(IReadOnlyCollection<Guid> ids, bool daemonWide, CancellationToken cancellationToken);

    /// <summary>Thread <paramref name="id"/>'s summary and its turns as Markdown, or null when there is no such thread.</summary>
    ValueTask<(ThreadSummary Summary, string Text)?> ReadAsync(Guid id, CancellationToken cancellationToken);
}
