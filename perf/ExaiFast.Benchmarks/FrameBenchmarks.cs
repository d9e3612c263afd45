using System.Buffers;
using BenchmarkDotNet.Attributes;
using ExaiFast.Wire;

namespace ExaiFast.Benchmarks;

/// <summary>Parse a client frame header and unmask + validate its payload, as the receive loop does; and write a server frame.</summary>
public class FrameBenchmarks
{
    private const int Key = 0x37FA213D;
    private byte[] _frame = [];
    private byte[] _payload = [];
    private byte[] _output = [];

    [Params(16, 1024, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        new Random(Size).NextBytes(_payload);
        for (int i = 0; i < _payload.Length; i++)
        {
            _payload[i] = (byte)('a' + (_payload[i] % 26)); // text
        }

        _frame = new byte[FrameWriter.GetHeaderLength(Size, true) + Size];
        int n = FrameWriter.WriteHeader(_frame, WebSocketOpcode.Text, true, Size, Key);
        _payload.CopyTo(_frame, n);
        Masking.Apply(_frame.AsSpan(n), Key, 0);
        _output = new byte[_frame.Length];
    }

    /// <summary>Header parse from a ReadOnlySequence, copy the payload out, unmask it in place, validate UTF-8.</summary>
    [Benchmark]
    public int ParseUnmaskValidate()
    {
        var sequence = new ReadOnlySequence<byte>(_frame);
        FrameParser.TryParseHeader(sequence, fromClient: true, out var header);
        var destination = _output.AsSpan(0, (int)header.PayloadLength);
        sequence.Slice(header.HeaderLength, header.PayloadLength).CopyTo(destination);
        Masking.Apply(destination, header.MaskKey, 0);
        var validator = default(Utf8Validator);
        if (!validator.TryConsume(destination) || !validator.IsComplete)
        {
            throw new InvalidOperationException("validation failed");
        }

        return header.HeaderLength;
    }

    /// <summary>Server frame: header plus payload copy, as the writer loop does.</summary>
    [Benchmark]
    public int Write()
    {
        int n = FrameWriter.WriteHeader(_output, WebSocketOpcode.Text, true, _payload.Length);
        _payload.CopyTo(_output.AsSpan(n));
        return n;
    }
}
