using System.Buffers.Binary;
using System.Text;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Infrastructure;

/// <summary>A frame as the server sent it.</summary>
internal sealed record ReceivedFrame(WebSocketOpcode Opcode, bool Fin, byte[] Payload)
{
    /// <summary>The close code, or 1005 for a close without a body.</summary>
    public ushort CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : CloseCodes.NoStatusReceived;

    public string Text => Encoding.UTF8.GetString(Opcode == WebSocketOpcode.Close && Payload.Length >= 2 ? Payload[2..] : Payload);

    public override string ToString() => $"{Opcode} fin={Fin} len={Payload.Length}" + (Opcode == WebSocketOpcode.Close ? $" code={CloseCode}" : string.Empty);
}
