using BenchmarkDotNet.Attributes;
using ExaiFast.Wire;

namespace ExaiFast.Benchmarks;

/// <summary>Vectorised unmasking against the byte-at-a-time loop of the RFC's definition.</summary>
public class MaskingBenchmarks
{
    private static readonly byte[] KeyBytes = [0x3D, 0x21, 0xFA, 0x37];
    private byte[] _data = [];

    [Params(16, 1024, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(1).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public int Scalar()
    {
        var data = _data;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] ^= KeyBytes[i & 3];
        }

        return data.Length;
    }

    [Benchmark]
    public int Vectorised() => Masking.Apply(_data, BitConverter.ToInt32(KeyBytes), 0);
}
