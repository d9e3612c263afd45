using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace ExaiFast.Tests.Architecture;

/// <summary>
/// Internal by default: a type of src/ is public only when the build needs it so — when an assembly without friend
/// access (<see cref="InternalsVisibleToAttribute"/>) uses it, or when a public member of such a type shows it. A public
/// type nobody outside needs is surface a reader must treat as API for no reason.
/// </summary>
public sealed class PublicSurfaceTests
{
    private static readonly string[] s_assemblies =
        ["ExaiFast.Wire", "ExaiFast.Core", "ExaiFast.Server", "ExaiFast.Models", "ExaiFast.Tools", "ExaiFast.Redis", "exaifast"];

    [Fact]
    public void EveryPublicType_IsNeededByAnAssemblyWithoutFriendAccess()
    {
        var dependencies = s_assemblies.SelectMany(a => TypeDependencies.Read(PathOf(a), "ExaiFast")).ToList();
        var report = new StringBuilder();
        foreach (string name in s_assemblies)
        {
            var assembly = Assembly.LoadFrom(PathOf(name));
            var unneeded = PublicSurface.Unneeded(assembly, dependencies);
            foreach (var type in unneeded)
                report.AppendLine($"{name}: {type.FullName} is public, but no assembly without friend access to {name} needs it: make it internal.");
        }

        Assert.True(report.Length == 0, report.ToString());
    }

    [Fact]
    public void TheCheck_FindsATypeNobodyOutsideNeeds_AndKeepsWhatAPublicMemberShows()
    {
        // Wire's exported types, read as if no other assembly used any of them: all would be unneeded (but those with
        // constants, whose readers the assemblies do not show); with one used from outside, that one and every type its
        // public members show are kept.
        var wire = Assembly.LoadFrom(PathOf("ExaiFast.Wire"));
        var exported = wire.GetExportedTypes().Where(t => t.DeclaringType is null && !PublicSurface.DeclaresConstants(t)).ToList();
        Assert.True(exported.Count > 5);
        Assert.Equal(exported.OrderBy(t => t.FullName), PublicSurface.Unneeded(wire, []).OrderBy(t => t.FullName));

        var used = exported.First(t => PublicSurface.Shown(t).Any(s => s.Assembly == wire && s != t));
        var outside = new TypeDependency(new TypeKey("elsewhere", "Elsewhere", "User"), new TypeKey("ExaiFast.Wire", used.Namespace!, used.Name));
        var unneeded = PublicSurface.Unneeded(wire, [outside]);
        Assert.DoesNotContain(used, unneeded);
        Assert.All(PublicSurface.Shown(used).Where(s => s.Assembly == wire), s => Assert.DoesNotContain(s, unneeded));
    }

    private static string PathOf(string assembly)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing: the test project must reference every project of src/.");
        return path;
    }
}
