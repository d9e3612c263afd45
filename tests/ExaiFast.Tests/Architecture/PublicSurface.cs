using System.Reflection;
using System.Runtime.CompilerServices;

namespace ExaiFast.Tests.Architecture;

/// <summary>Which public types of an assembly the build needs public, and which could be internal.</summary>
internal static class PublicSurface
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>
    /// The exported top-level types of <paramref name="assembly"/> that no assembly without friend access uses (per
    /// <paramref name="dependencies"/>) and that no needed type shows in its public surface.
    /// </summary>
    public static IReadOnlyList<Type> Unneeded(Assembly assembly, IReadOnlyList<TypeDependency> dependencies)
    {
        string name = assembly.GetName().Name!;
        var friends = assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(a => new AssemblyName(a.AssemblyName).Name!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase); // as the compiler matches them
        var exported = assembly.GetExportedTypes().Where(t => t.DeclaringType is null).ToList();
        var usedFromOutside = dependencies
            .Where(d => string.Equals(d.To.Assembly, name, StringComparison.Ordinal)
                && !string.Equals(d.From.Assembly, name, StringComparison.Ordinal) && !friends.Contains(d.From.Assembly))
            .Select(d => d.To)
            .ToHashSet();

        var needed = new HashSet<Type>(exported.Where(t => usedFromOutside.Contains(new TypeKey(name, t.Namespace ?? string.Empty, t.Name))));
        var pending = new Queue<Type>(needed);
        while (pending.TryDequeue(out var type))
        {
            foreach (var shown in Shown(type).Select(Outermost).Where(t => t.Assembly == assembly))
            {
                if (needed.Add(shown))
                    pending.Enqueue(shown);
            }
        }

        return [.. exported.Where(t => !needed.Contains(t) && !DeclaresConstants(t))];
    }

    /// <summary>
    /// A type with public constants (an enum's members are constants too) is left out: the compiler copies a constant's
    /// value into the code that reads it, so the assemblies do not show who reads it (error codes are read by every
    /// layer that way).
    /// </summary>
    public static bool DeclaresConstants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Any(f => f.IsLiteral);

    /// <summary>Every type the public surface of <paramref name="type"/> (and of its public nested types) names.</summary>
    public static IEnumerable<Type> Shown(Type type)
    {
        var shown = new HashSet<Type>();
        AddSurface(type, shown);
        return shown;
    }

    private static void AddSurface(Type type, HashSet<Type> shown)
    {
        Add(type.BaseType, shown);
        foreach (var i in type.GetInterfaces())
            Add(i, shown);
        if (type.IsGenericTypeDefinition)
            foreach (var p in type.GetGenericArguments())
                foreach (var c in p.GetGenericParameterConstraints())
                    Add(c, shown);
        foreach (var member in type.GetMembers(Declared))
        {
            switch (member)
            {
                case FieldInfo f when f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly:
                    Add(f.FieldType, shown);
                    break;
                case PropertyInfo p when p.GetAccessors(nonPublic: true).Any(Visible):
                    Add(p.PropertyType, shown);
                    foreach (var i in p.GetIndexParameters())
                        Add(i.ParameterType, shown);
                    break;
                case EventInfo e when e.AddMethod is { } add && Visible(add):
                    Add(e.EventHandlerType, shown);
                    break;
                case MethodBase m when Visible(m):
                    if (m is MethodInfo method)
                        Add(method.ReturnType, shown);
                    foreach (var p in m.GetParameters())
                        Add(p.ParameterType, shown);
                    break;
                case Type nested when nested.IsNestedPublic || nested.IsNestedFamily || nested.IsNestedFamORAssem:
                    AddSurface(nested, shown);
                    break;
            }
        }
    }

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    private static void Add(Type? type, HashSet<Type> shown)
    {
        if (type is null || type.IsGenericParameter)
            return;
        if (type.HasElementType)
        {
            Add(type.GetElementType(), shown);
            return;
        }
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
                Add(argument, shown);
            type = type.GetGenericTypeDefinition();
        }
        shown.Add(type);
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } declaring)
            type = declaring;
        return type;
    }
}
