using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// MCP tasks (the <c>io.modelcontextprotocol/tasks</c> extension of MCP 2026-07-28, ext-tasks
/// <c>specification/draft/tasks.md</c>): a <c>tools/call</c> still running after <see cref="AnswerWithin"/> is answered
/// with a task handle, and its result is collected with <c>tasks/get</c> — so a call outlives a client's own deadline
/// (claude.ai cuts one at 60 s).
/// </summary>
/// <remarks>
/// A task is a call under a key of its own (<see cref="McpTaskId"/>) whose result the dispatcher keeps, as it keeps one
/// for an exai-ws client that comes back: the task store is the dispatcher's result store (its TTL, its trimming under
/// memory pressure) and, with <c>REDIS_URL</c>, the store it shares with other daemons, so a task started on one daemon
/// is collected and cancelled through another. Nothing else remembers a task: its id says when it was created.
/// </remarks>
internal sealed class McpTasks
{
    private readonly Dispatcher _dispatcher;
    private readonly TimeProvider _time;

    /// <summary>
    /// A call still running after this long is answered with a task: long enough that a quick call (a local tool, a
    /// short answer) is answered as it is, short enough that no host's deadline comes near it.
    /// </summary>
    public static readonly TimeSpan DefaultAnswerWithin = TimeSpan.FromSeconds(2);

    /// <summary>How often a client is asked to poll: a model's answer takes seconds, and each poll is a request.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    public McpTasks(Dispatcher dispatcher, TimeProvider time)
        : this(dispatcher, time, DefaultAnswerWithin, DefaultPollInterval)
    {
    }

    public McpTasks(Dispatcher dispatcher, TimeProvider time, TimeSpan answerWithin, TimeSpan pollInterval)
    {
        _dispatcher = dispatcher;
        _time = time;
        AnswerWithin = answerWithin;
        PollInterval = pollInterval;
    }

    /// <summary>How long a call may take before its answer becomes a task (a quicker one is answered as it is).</summary>
    public TimeSpan AnswerWithin { get; }

    /// <summary>How often a client is asked to poll (<c>pollIntervalMs</c>).</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>
    /// How long a task can be collected after its creation, at least (<c>ttlMs</c>): its result is kept this long after
    /// the call ends, which is after the task began — unless memory runs short and the oldest results are let go first.
    /// </summary>
    public TimeSpan Ttl => _dispatcher.ResultTtl;

    /// <summary>Whether tasks can be made at all: not when no result is kept.</summary>
    public bool Available => Ttl > TimeSpan.Zero;

    /// <summary>A new task's id and the key its call is to be submitted under (with <see cref="CallRequest.KeepsResult"/>),
    /// for <paramref name="owner"/> (<see cref="McpSession.Principal"/>): only requests of that owner find it.</summary>
    public (string TaskId, CallKey Key) Next(string? owner)
    {
        string id = McpTaskId.New(_time.GetUtcNow());
        return (id, McpTaskId.KeyOf(id, owner));
    }

    /// <summary>
    /// Watches the call just submitted for <paramref name="taskId"/>: its result goes to <paramref name="answer"/> if it
    /// ends within <see cref="AnswerWithin"/>; otherwise <paramref name="created"/> gets the task's handle at that moment,
    /// and the result waits in the store. Exactly one of the two is called, once. With <paramref name="atOnce"/> (a tool
    /// whose every call is a task, <see cref="TaskSupport.Always"/>) the handle goes out now, unless the call ended inside
    /// its submission (a refusal): no window to race, so whether the client gets a task does not hang on timing.
    /// </summary>
    public void Watch(string taskId, CallTicket ticket, McpRequest request, bool atOnce, Action<McpRequest, CallResult> answer, Action<McpRequest, McpTaskState> created)
    {
        var watch = new Watcher(this, taskId, ticket, request, answer, created);
        if (ticket.IsCompleted)
        {
            watch.Ended(ticket.Result); // refused, or ended inside Submit
            return;
        }

        // No connection listens for the call here once its handle is out: told so, a shared store lets another daemon
        // find it running here, wait for its result and cancel it.
        _dispatcher.SharedResults?.Orphaned(ticket.Key, _time.GetUtcNow() + _dispatcher.CallTimeout);
        if (atOnce)
        {
            watch.Hand(); // before the call's end can be heard: nothing else can win the state
            return;
        }

        watch.Start();
    }

    /// <summary>What the store knows of <paramref name="taskId"/>; null when <paramref name="owner"/> has no task of that
    /// id (another owner's is not there for it) or it expired.</summary>
    public async ValueTask<McpTaskState?> GetAsync(string taskId, string? owner, CancellationToken cancellationToken)
    {
        if (!McpTaskId.TryParse(taskId, out var createdAt))
        {
            return null;
        }

        var key = McpTaskId.KeyOf(taskId, owner);
        if (_dispatcher.TryGetCall(key, out var call))
        {
            // A call whose entry is about to become its result has its result already.
            return call.Result is { } ending ? Ended(taskId, createdAt, ending) : Working(taskId, createdAt);
        }

        if (_dispatcher.TryGetResult(key, out var stored))
        {
            return Ended(taskId, createdAt, stored);
        }

        if (_dispatcher.SharedResults is { } shared)
        {
            var found = await shared.LookupAsync(key, cancellationToken).ConfigureAwait(false);
            if (found.Result is { } elsewhere)
            {
                return Ended(taskId, createdAt, elsewhere);
            }

            if (found.RunningOn is not null)
            {
                return Working(taskId, createdAt);
            }
        }

        return null;
    }

    /// <summary>
    /// Cancels <paramref name="taskId"/>'s call, here or on the daemon running it; an ended task stays as it ended.
    /// </summary>
    /// <returns>Whether <paramref name="owner"/> has such a task (running or ended).</returns>
    public async ValueTask<bool> CancelAsync(string taskId, string? owner, CancellationToken cancellationToken)
    {
        if (!McpTaskId.TryParse(taskId, out _))
        {
            return false;
        }

        var key = McpTaskId.KeyOf(taskId, owner);
        if (_dispatcher.Cancel(key).Found || _dispatcher.TryGetResult(key, out _))
        {
            return true;
        }

        if (_dispatcher.SharedResults is not { } shared)
        {
            return false;
        }

        var found = await shared.LookupAsync(key, cancellationToken).ConfigureAwait(false);
        if (found.RunningOn is not null && found.Result is null)
        {
            // Cooperative, as the extension allows: if that daemon is gone, the call ends by its deadline.
            await shared.CancelElsewhereAsync(key, found, cancellationToken).ConfigureAwait(false);
        }

        return !found.IsEmpty;
    }

    /// <summary>Whether a task of that id may have existed and is gone for its age (rather than never having existed).</summary>
    public bool HasExpired(string taskId) =>
        McpTaskId.TryParse(taskId, out var createdAt) && _time.GetUtcNow() > createdAt + Ttl;

    private static McpTaskState Working(string taskId, DateTimeOffset createdAt) =>
        new(taskId, McpTaskStatus.Working, createdAt, createdAt, Result: null);

    // A task ends when its call does: that moment is not stored, but the call's own times say it to the millisecond.
    private static McpTaskState Ended(string taskId, DateTimeOffset createdAt, CallResult result)
    {
        var endedAt = createdAt + TimeSpan.FromMilliseconds(result.QueueMs + result.RunMs);
        return result.Error?.Code == ErrorCodes.Cancelled
            ? new(taskId, McpTaskStatus.Cancelled, createdAt, endedAt, Result: null)
            : new(taskId, McpTaskStatus.Completed, createdAt, endedAt, result);
    }

    // Between the call's submission and its answer or its handle, whichever comes first: both race for one state.
    private sealed class Watcher(McpTasks tasks, string taskId, CallTicket ticket, McpRequest request,
        Action<McpRequest, CallResult> answer, Action<McpRequest, McpTaskState> created)
    {
        private const int Waiting = 0, Answered = 1, Handed = 2;
        private int _state;
        private ITimer? _timer;

        public void Start()
        {
            ticket.Listen(request); // progress reaches the client while it still waits for the answer
            _timer = tasks._time.CreateTimer(static s => ((Watcher)s!).Hand(), this, tasks.AnswerWithin, Timeout.InfiniteTimeSpan);
            ticket.OnCompleted(static (t, s) => ((Watcher)s!).Ended(t.Result), this);
        }

        public void Ended(CallResult result)
        {
            if (Interlocked.CompareExchange(ref _state, Answered, Waiting) == Waiting)
            {
                _timer?.Dispose();
                answer(request, result);
            }
        }

        public void Hand()
        {
            if (Interlocked.CompareExchange(ref _state, Handed, Waiting) == Waiting)
            {
                _timer?.Dispose(); // null when it fired before Start stored it
                McpTaskId.TryParse(taskId, out var createdAt);
                created(request, Working(taskId, createdAt));
            }
        }
    }
}
