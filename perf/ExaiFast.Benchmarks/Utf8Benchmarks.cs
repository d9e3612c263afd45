using System.Text;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using ExaiFast.Wire;

namespace ExaiFast.Benchmarks;

/// <summary>Incremental validation (as fragments arrive in 4 KiB pieces) against one-shot BCL validation of the whole.</summary>
public class Utf8Benchmarks
{
    private byte[] _ascii = [];
    private byte[] _mixed = [];

    [Params(1024, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ascii = Encoding.UTF8.GetBytes(new string('a', Size));
        var sb = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(sb.ToString()) < Size)
        {
            sb.Append("Hello-µ@ßöäüàá κόσμε 𝄞 ");
        }

        _mixed = Encoding.UTF8.GetBytes(sb.ToString())[..Size];
        _mixed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(_mixed).TrimEnd('\uFFFD'));
    }

    [Benchmark(Baseline = true)]
    public bool BclWholeAscii() => Utf8.IsValid(_ascii);

    [Benchmark]
    public bool IncrementalAscii() => Incremental(_ascii);

    [Benchmark]
    public bool BclWholeMixed() => Utf8.IsValid(_mixed);

    [Benchmark]
    public bool IncrementalMixed() => Incremental(_mixed);

    private static bool Incremental(byte[] data)
    {
        var v = default(Utf8Validator);
        for (int i = 0; i < data.Length; i += 4093) // an odd chunk size so code points straddle chunks
        {
            if (!v.TryConsume(data.AsSpan(i, Math.Min(4093, data.Length - i))))
            {
                return false;
            }
        }

        return v.IsComplete;
    }
}
