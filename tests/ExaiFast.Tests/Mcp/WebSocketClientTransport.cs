using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// The C# SDK's client over MCP-over-WebSocket (subprotocol <c>mcp</c>, one JSON-RPC message per text frame): the SDK
/// has no WebSocket transport, so this is the custom transport its <see cref="TransportBase"/> is there for (spec
/// <c>basic/transports/index.mdx</c>#custom-transports). It only moves frames; everything MCP is the SDK's. It keeps
/// the methods it sent, so a test can tell which era the SDK chose.
/// </summary>
internal sealed class WebSocketClientTransport(Uri uri) : IClientTransport
{
    /// <summary>The method of every request and notification the SDK sent, in order.</summary>
    public ConcurrentQueue<string> SentMethods { get; } = new();

    /// <summary>The <c>_meta</c> revision of every request the SDK sent (null when it named none).</summary>
    public ConcurrentQueue<string?> SentRevisions { get; } = new();

    public string Name => "websocket";

    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mcp");
        await socket.ConnectAsync(uri, cancellationToken);
        return new Connection(socket, this);
    }

    private sealed class Connection : TransportBase
    {
        private readonly ClientWebSocket _socket;
        private readonly WebSocketClientTransport _owner;
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _receive;

        public Connection(ClientWebSocket socket, WebSocketClientTransport owner)
            : base("websocket", null)
        {
            _socket = socket;
            _owner = owner;
            SetConnected();
            _receive = Task.Run(ReceiveAsync);
        }

        public override async Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default)
        {
            if (message is JsonRpcRequest request)
            {
                _owner.SentMethods.Enqueue(request.Method);
                _owner.SentRevisions.Enqueue(request.Params?["_meta"]?["io.modelcontextprotocol/protocolVersion"]?.GetValue<string>());
            }
            else if (message is JsonRpcNotification notification)
            {
                _owner.SentMethods.Enqueue(notification.Method);
            }

            byte[] json = JsonSerializer.SerializeToUtf8Bytes(message, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)));
            await _send.WaitAsync(cancellationToken);
            try
            {
                await _socket.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                _send.Release();
            }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new ArrayBufferWriter<byte>();
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var result = await _socket.ReceiveAsync(buffer.GetMemory(64 * 1024), _stop.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    buffer.Advance(result.Count);
                    if (!result.EndOfMessage)
                    {
                        continue;
                    }

                    var message = (JsonRpcMessage?)JsonSerializer.Deserialize(buffer.WrittenSpan, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)));
                    buffer.Clear();
                    if (message is not null)
                    {
                        await WriteMessageAsync(message, _stop.Token);
                    }
                }

                SetDisconnected();
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                SetDisconnected();
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await _receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _socket.Dispose();
            _stop.Dispose();
            _send.Dispose();
            SetDisconnected();
        }
    }
}
