using ExaiFast.Tests.Architecture.Fixture.Upper;

namespace ExaiFast.Tests.Architecture.Fixture.Lower;

// Each method names one Upper type in a different part of a method body, and nowhere in a signature.
internal sealed class Counter
{
    public object Make() => new Made();

    public bool Catch(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (Thrown)
        {
            return false;
        }
    }

    public int Generic() => new List<Argument>().Count;

    public int Call() => Called.Twice(1);

    public string Name() => typeof(Ledger).Name;
}
