using System.Globalization;

namespace ExaiFast.Load;

/// <summary>An open loop's arrival rate: absolute (<c>--rate 20000</c>, calls/s) or a multiple of the capacity a closed-loop probe measures first (<c>--rate 10x</c>).</summary>
internal readonly record struct RateSpec(double Value, bool RelativeToCapacity)
{
    public static RateSpec Parse(string text)
    {
        bool relative = text.EndsWith('x');
        if (!double.TryParse(relative ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentException($"--rate must be a positive number of calls/s or a multiple of capacity such as 10x, not '{text}'");
        }

        return new RateSpec(value, relative);
    }

    /// <summary>Calls/s given the probed <paramref name="capacity"/> (used only when relative).</summary>
    public double Resolve(double capacity) => RelativeToCapacity ? Value * capacity : Value;
}
