using System.Net;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Http;

/// <summary>One HTTP request being served by an <see cref="IHttpEndpoint"/>, and its one response.</summary>
/// <remarks>
/// <see cref="RespondAsync"/> and <see cref="StartEventStreamAsync"/> are meant for the endpoint's own flow; calling
/// either a second time throws <see cref="InvalidOperationException"/>. <see cref="RequestAborted"/> may be read from any
/// thread, and the <see cref="HttpEventStream"/> may be written from any thread.
/// </remarks>
internal sealed class HttpExchange
{
    private readonly Http1Output _output;
    private int _responded;
    private PooledBuffer _body;
    private bool _bodyTaken;

    internal HttpExchange(Http1Output output, long connectionId, IPAddress remoteAddress, HttpRequestHead request, PooledBuffer body, string route,
        bool keepAlive, CancellationToken requestAborted)
    {
        _output = output;
        ConnectionId = connectionId;
        RemoteAddress = remoteAddress;
        Request = request;
        _body = body;
        Route = route;
        KeepAlive = keepAlive;
        RequestAborted = requestAborted;
    }

    /// <summary>The parsed request head: method, target, path, query, headers (<c>Request["Name"]</c>).</summary>
    public HttpRequestHead Request { get; }

    /// <summary>The whole request body, already read and decoded (Content-Length or chunked); empty when there was none.
    /// Valid until <see cref="IHttpEndpoint.HandleAsync"/> returns: copy what must outlive it.</summary>
    public ReadOnlyMemory<byte> Body => _bodyTaken ? default : _body.Memory;

    /// <summary>The connection's id (as in the logs).</summary>
    public long ConnectionId { get; }

    /// <summary>The client's address (IPv4-mapped addresses unmapped).</summary>
    public IPAddress RemoteAddress { get; }

    /// <summary>
    /// Fires when the peer closes or resets the connection while the request is served (a client that drops its POST),
    /// when the connection is aborted (a response write stalled past the keep-alive timeout, or the drain deadline of a
    /// shutdown), and never merely because the response is complete.
    /// </summary>
    public CancellationToken RequestAborted { get; }

    /// <summary>Whether the connection serves another request after this one. Starts as the client asked (HTTP/1.1
    /// default, <c>Connection: close</c>, HTTP/1.0 <c>keep-alive</c>) and false while the server drains; an endpoint may
    /// set it to false before it responds to answer with <c>Connection: close</c>.</summary>
    public bool KeepAlive { get; set; }

    /// <summary>Whether a response has been started.</summary>
    public bool HasResponded => Volatile.Read(ref _responded) != 0;

    /// <summary>The <c>route</c> label of this request in <c>exaifast_http_requests_total</c>.</summary>
    internal string Route { get; }

    /// <summary>Whether the head that went out said <c>Connection: close</c>.</summary>
    internal bool ClosesConnection { get; private set; }

    /// <summary>The open (or completed) event stream, if the response is one.</summary>
    internal HttpEventStream? EventStream { get; private set; }

    internal bool IsHead => Request.Method == "HEAD";

    /// <summary>
    /// Sends a complete response with <c>Content-Length</c>, flushed. A HEAD request gets the same head and no body
    /// (RFC 9110 §9.3.2); 204 and 304 get neither Content-Length nor body. <c>Cache-Control: no-store</c> is added unless
    /// <paramref name="headers"/> carry a Cache-Control. Does nothing more than mark the exchange answered once the
    /// request was aborted.
    /// </summary>
    /// <exception cref="InvalidOperationException">A response was already started.</exception>
    /// <exception cref="ArgumentException">A header that would split or reframe the response.</exception>
    public ValueTask RespondAsync(int status, string? contentType, ReadOnlyMemory<byte> body, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 999);
        MarkResponded();
        ClosesConnection = !KeepAlive || _output.ShutdownRequested; // a drain begun while the endpoint ran: say it
        return _output.RespondAsync(Route, status, contentType, body, ClosesConnection, IsHead, headers);
    }

    /// <summary>
    /// Starts a <c>200</c> <c>text/event-stream</c> response (<c>Cache-Control: no-store</c>, chunked transfer coding;
    /// for an HTTP/1.0 client, a body ended by closing the connection), its head flushed before this returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">A response was already started.</exception>
    public async ValueTask<HttpEventStream> StartEventStreamAsync(IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        MarkResponded();
        bool chunked = Request.MinorVersion == 1;
        if (!chunked)
        {
            KeepAlive = false;
        }

        ClosesConnection = !KeepAlive || _output.ShutdownRequested; // a drain begun while the endpoint ran: say it
        var stream = new HttpEventStream(_output, chunked, IsHead, RequestAborted);
        await _output.StartEventStreamAsync(Route, chunked, ClosesConnection, headers).ConfigureAwait(false);
        // Published only once the head is out: the heartbeat writes keep-alive comments to the stream it sees here, and
        // one written before (or during) the head's flush would precede or tear the head.
        EventStream = stream;
        return stream;
    }

    /// <summary>Takes the body's buffer: the caller gives it back (a big body's array carries its inbound budget), and
    /// <see cref="Body"/> is empty from now on. Lets a request's bytes outlive the endpoint (read in place by a call).</summary>
    internal PooledBuffer TakeBody()
    {
        var body = _bodyTaken ? default : _body;
        _bodyTaken = true;
        return body;
    }

    /// <summary>Gives the body back unless the endpoint took it (the connection, once the endpoint is done).</summary>
    internal void ReturnBody()
    {
        if (!_bodyTaken)
        {
            _bodyTaken = true;
            _body.Return();
        }
    }

    private void MarkResponded()
    {
        if (Interlocked.Exchange(ref _responded, 1) != 0)
        {
            throw new InvalidOperationException("this request has already been answered");
        }
    }
}
