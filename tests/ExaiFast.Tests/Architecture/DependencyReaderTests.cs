using ExaiFast.Tests.Architecture.Fixture.Lower;

namespace ExaiFast.Tests.Architecture;

/// <summary>
/// The reader behind <see cref="ArchitectureTests"/> sees what the compiler sees: a type named only inside a method body
/// (constructed, caught, used as a generic argument, called, or in a typeof) is a dependency, and the cycle it closes is
/// found. Without this, the architecture test could pass by reading too little.
/// </summary>
public sealed class DependencyReaderTests
{
    private const string Fixture = "ExaiFast.Tests.Architecture.Fixture";
    private static readonly string s_assembly = typeof(Counter).Assembly.GetName().Name!;

    private static IReadOnlyList<TypeDependency> Read() =>
        TypeDependencies.Read(typeof(Counter).Assembly.Location, Fixture);

    [Theory]
    [InlineData("Made")]      // new
    [InlineData("Thrown")]    // catch clause
    [InlineData("Argument")]  // generic argument of a constructed type
    [InlineData("Called")]    // static call
    [InlineData("Ledger")]    // typeof
    public void ATypeNamedOnlyInAMethodBody_IsADependency(string upper)
    {
        var found = Read().Where(d => d.From.Name == nameof(Counter)).Select(d => d.To).ToList();

        Assert.Contains(new TypeKey(s_assembly, Fixture + ".Upper", upper), found);
    }

    [Fact]
    public void ACycleClosedOnlyInMethodBodies_IsFound()
    {
        var graph = new NamespaceGraph(Read(), s_assembly);

        Assert.Equal([(Fixture + ".Lower", Fixture + ".Upper"), (Fixture + ".Upper", Fixture + ".Lower")], graph.EdgesOnCycles());
        Assert.Equal(5, graph.Because(Fixture + ".Lower", Fixture + ".Upper").Count);
    }
}
