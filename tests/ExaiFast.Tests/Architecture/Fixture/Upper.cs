using ExaiFast.Tests.Architecture.Fixture.Lower;

namespace ExaiFast.Tests.Architecture.Fixture.Upper;

// Fixture for DependencyReaderTests: Upper uses Lower in the ordinary way (a field); Lower names Upper only inside
// method bodies, which is where most real dependencies hide.

internal sealed class Ledger
{
    public Counter Counter { get; } = new();
}

internal sealed class Made;

internal sealed class Thrown : Exception;

internal sealed class Argument;

internal static class Called
{
    public static int Twice(int n) => 2 * n;
}
