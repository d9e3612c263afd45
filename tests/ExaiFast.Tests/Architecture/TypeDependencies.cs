using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ExaiFast.Tests.Architecture;

/// <summary>A top-level type (a nested type counts as its outermost declaring type, which owns its namespace).</summary>
internal readonly record struct TypeKey(string Assembly, string Namespace, string Name)
{
    public override string ToString() => Namespace.Length == 0 ? Name : Namespace + "." + Name;
}

/// <summary>One type naming another.</summary>
internal readonly record struct TypeDependency(TypeKey From, TypeKey To);

/// <summary>
/// Reads which types each type of an assembly depends on, from its metadata and IL: base type, interfaces, generic
/// constraints, attributes, field and method signatures, and method bodies (locals, catch clauses, and every type,
/// method and field token the IL names, with the generic arguments of each). Method bodies matter most: a class that
/// news up, calls or catches another type often names it nowhere else.
/// </summary>
/// <remarks>
/// Reads the file with System.Reflection.Metadata instead of loading it, so no code of the assembly runs and the
/// compiler-generated types (closures, state machines, lambdas' display classes) count for the type that declares them.
/// The signatures of a member that a body uses are not followed: a call names the callee's type, which is the
/// dependency; the types it takes and returns are the callee's.
/// </remarks>
internal static class TypeDependencies
{
    private static readonly Dictionary<short, OperandType> s_operands = typeof(OpCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>The dependencies of the types of <paramref name="path"/> whose namespace starts with <paramref name="prefix"/>, on other types (self-references left out).</summary>
    public static IReadOnlyList<TypeDependency> Read(string path, string prefix)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = new Reader(pe, prefix);
        return reader.ReadAll();
    }

    private sealed class Reader(PEReader pe, string prefix)
    {
        private readonly MetadataReader _md = pe.GetMetadataReader();
        private readonly HashSet<TypeDependency> _found = [];
        private TypeKey _from;

        private string AssemblyName => _md.GetString(_md.GetAssemblyDefinition().Name);

        public IReadOnlyList<TypeDependency> ReadAll()
        {
            var provider = new NamingProvider(this);
            foreach (var handle in _md.TypeDefinitions)
            {
                _from = KeyOf(handle);
                if (!_from.Namespace.StartsWith(prefix, StringComparison.Ordinal))
                    continue;
                var type = _md.GetTypeDefinition(handle);
                Add(type.BaseType, provider);
                foreach (var i in type.GetInterfaceImplementations())
                    Add(_md.GetInterfaceImplementation(i).Interface, provider);
                AddGenericParameters(type.GetGenericParameters(), provider);
                AddAttributes(type.GetCustomAttributes(), provider);
                foreach (var f in type.GetFields())
                {
                    var field = _md.GetFieldDefinition(f);
                    field.DecodeSignature(provider, null);
                    AddAttributes(field.GetCustomAttributes(), provider);
                }
                foreach (var p in type.GetProperties())
                {
                    var property = _md.GetPropertyDefinition(p);
                    property.DecodeSignature(provider, null);
                    AddAttributes(property.GetCustomAttributes(), provider);
                }
                foreach (var e in type.GetEvents())
                    Add(_md.GetEventDefinition(e).Type, provider);
                foreach (var m in type.GetMethods())
                    AddMethod(_md.GetMethodDefinition(m), provider);
            }
            return [.. _found];
        }

        private void AddMethod(MethodDefinition method, NamingProvider provider)
        {
            method.DecodeSignature(provider, null);
            AddGenericParameters(method.GetGenericParameters(), provider);
            AddAttributes(method.GetCustomAttributes(), provider);
            foreach (var p in method.GetParameters())
                AddAttributes(_md.GetParameter(p).GetCustomAttributes(), provider);
            if (method.RelativeVirtualAddress == 0)
                return;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                _md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
            foreach (var region in body.ExceptionRegions)
                Add(region.CatchType, provider);
            AddInstructions(body.GetILReader(), provider);
        }

        private void AddInstructions(BlobReader il, NamingProvider provider)
        {
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE)
                    code = unchecked((short)(0xFE00 | il.ReadByte()));
                switch (s_operands[code])
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineSwitch:
                        int targets = il.ReadInt32(); // read first: `Offset += 4 * ReadInt32()` would take the old offset
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                        Add(MetadataTokens.EntityHandle(il.ReadInt32()), provider);
                        break;
                    default: // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR: no type named
                        il.Offset += 4;
                        break;
                }
            }
        }

        private void AddGenericParameters(GenericParameterHandleCollection parameters, NamingProvider provider)
        {
            foreach (var g in parameters)
                foreach (var c in _md.GetGenericParameter(g).GetConstraints())
                    Add(_md.GetGenericParameterConstraint(c).Type, provider);
        }

        private void AddAttributes(CustomAttributeHandleCollection attributes, NamingProvider provider)
        {
            foreach (var a in attributes)
                Add(_md.GetCustomAttribute(a).Constructor, provider);
        }

        private void Add(EntityHandle handle, NamingProvider provider)
        {
            if (handle.IsNil)
                return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Found(KeyOf((TypeDefinitionHandle)handle));
                    break;
                case HandleKind.TypeReference:
                    Found(KeyOf((TypeReferenceHandle)handle));
                    break;
                case HandleKind.TypeSpecification:
                    _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(provider, null);
                    break;
                case HandleKind.MethodDefinition:
                    Found(KeyOf(_md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()));
                    break;
                case HandleKind.FieldDefinition:
                    Found(KeyOf(_md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()));
                    break;
                case HandleKind.MemberReference:
                    Add(_md.GetMemberReference((MemberReferenceHandle)handle).Parent, provider);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Add(spec.Method, provider);
                    spec.DecodeSignature(provider, null);
                    break;
            }
        }

        internal void Found(TypeKey to)
        {
            if (to != _from)
                _found.Add(new TypeDependency(_from, to));
        }

        internal TypeKey KeyOf(TypeDefinitionHandle handle)
        {
            var type = _md.GetTypeDefinition(handle);
            while (type.IsNested)
                type = _md.GetTypeDefinition(type.GetDeclaringType());
            return new TypeKey(AssemblyName, _md.GetString(type.Namespace), _md.GetString(type.Name));
        }

        internal TypeKey KeyOf(TypeReferenceHandle handle)
        {
            var type = _md.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
                type = _md.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            var assembly = type.ResolutionScope.Kind == HandleKind.AssemblyReference
                ? _md.GetString(_md.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name)
                : AssemblyName;
            return new TypeKey(assembly, _md.GetString(type.Namespace), _md.GetString(type.Name));
        }

        internal void Specification(TypeSpecificationHandle handle, NamingProvider provider) =>
            _md.GetTypeSpecification(handle).DecodeSignature(provider, null);
    }

    /// <summary>Records every named type a signature blob holds; the decoded shape itself is not needed.</summary>
    private sealed class NamingProvider(Reader reader) : ISignatureTypeProvider<int, object?>
    {
        public int GetTypeFromDefinition(MetadataReader md, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            reader.Found(reader.KeyOf(handle));
            return 0;
        }

        public int GetTypeFromReference(MetadataReader md, TypeReferenceHandle handle, byte rawTypeKind)
        {
            reader.Found(reader.KeyOf(handle));
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader md, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            reader.Specification(handle, this);
            return 0;
        }

        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? context, int index) => 0;
        public int GetGenericTypeParameter(object? context, int index) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
    }
}
