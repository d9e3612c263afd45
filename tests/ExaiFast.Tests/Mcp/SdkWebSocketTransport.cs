using System.Net.WebSockets;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ExaiFast.Tests.Mcp;

/// <summary>
/// MCP over WebSocket (subprotocol <c>mcp</c>, one JSON-RPC message per text message) for the official C# SDK client,
/// which ships no WebSocket transport: the SDK's own <see cref="TransportBase"/> and message serialization, so everything
/// above the socket is the SDK's.
/// </summary>
internal sealed class SdkWebSocketTransport(Uri uri) : IClientTransport
{
    public string Name => "exaifast-websocket";

    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mcp");
        await socket.ConnectAsync(uri, cancellationToken);
        return new Connection(socket);
    }

    private sealed class Connection : TransportBase
    {
        private readonly ClientWebSocket _socket;
        private readonly SemaphoreSlim _sending = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _receiving;

        public Connection(ClientWebSocket socket)
            : base("exaifast-websocket", loggerFactory: null)
        {
            _socket = socket;
            SetConnected();
            _receiving = ReceiveAsync();
        }

        public override async Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default)
        {
            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(message, McpJsonUtilities.DefaultOptions);
            await _sending.WaitAsync(cancellationToken);
            try
            {
                await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                _sending.Release();
            }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    message.Write(buffer, 0, received.Count);
                    if (received.EndOfMessage)
                    {
                        var parsed = JsonSerializer.Deserialize<JsonRpcMessage>(message.ToArray(), McpJsonUtilities.DefaultOptions);
                        message.SetLength(0);
                        if (parsed is not null)
                        {
                            await WriteMessageAsync(parsed, _stop.Token);
                        }
                    }
                }

                SetDisconnected();
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                SetDisconnected(ex);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Abort();
            await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _socket.Dispose();
            _stop.Dispose();
            SetDisconnected();
        }
    }
}
