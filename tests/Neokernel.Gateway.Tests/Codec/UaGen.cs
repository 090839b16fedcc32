using FsCheck;
using FsCheck.Fluent;
using Neokernel.Gateway.Ua;

namespace Neokernel.Gateway.Tests.Codec;

/// <summary>Generators of every built-in type, with the edges that choose an encoding (two-byte, four-byte, full NodeIds; null strings and arrays) drawn often.</summary>
internal static class UaGen
{
    public static readonly Gen<string?> Text = Gen.OneOf(
        Gen.Constant<string?>(null),
        Gen.Constant<string?>(""),
        Gen.Elements<string?>("Server", "水Boy", "Ωmega/Ü", "tank.level", "a;b=c"),
        ArbMap.Default.GeneratorFor<string>().Select(s => (string?)Sanitize(s)));

    public static readonly Gen<byte[]?> Bytes = Gen.OneOf(
        Gen.Constant<byte[]?>(null),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).Select(b => (byte[]?)b));

    public static readonly Gen<uint> Numeric = Gen.OneOf(
        Gen.Elements(0u, 1u, 255u, 256u, 65535u, 65536u, uint.MaxValue),
        ArbMap.Default.GeneratorFor<uint>());

    public static readonly Gen<ushort> Namespace = Gen.OneOf(
        Gen.Elements<ushort>(0, 1, 255, 256, ushort.MaxValue),
        ArbMap.Default.GeneratorFor<ushort>());

    public static readonly Gen<Guid> Guids = ArbMap.Default.GeneratorFor<Guid>();

    public static readonly Gen<NodeId> NodeIds = Gen.OneOf(
        from ns in Namespace from id in Numeric select new NodeId(id, ns),
        from ns in Namespace from s in Text select NodeId.FromString(s, ns),
        from ns in Namespace from g in Guids select NodeId.FromGuid(g, ns),
        from ns in Namespace from b in Bytes select NodeId.FromOpaque(b, ns));

    public static readonly Gen<ExpandedNodeId> ExpandedNodeIds =
        from id in NodeIds
        from uri in Gen.OneOf(Gen.Constant<string?>(null), Gen.Elements<string?>("urn:neokernel", "http://opcfoundation.org/UA/"))
        from server in Gen.OneOf(Gen.Constant(0u), Numeric)
        select new ExpandedNodeId(id, uri, server);

    public static readonly Gen<QualifiedName> QualifiedNames = from ns in Namespace from name in Text select new QualifiedName(ns, name);

    public static readonly Gen<LocalizedText> LocalizedTexts =
        from locale in Gen.OneOf(Gen.Constant<string?>(null), Gen.Elements<string?>("en", "de-DE", ""))
        from text in Text
        select new LocalizedText(locale, text);

    public static readonly Gen<StatusCode> StatusCodes = Gen.OneOf(
        Gen.Elements(new StatusCode(0), new StatusCode(0x80070000), new StatusCode(0x40000000)),
        ArbMap.Default.GeneratorFor<uint>().Select(c => new StatusCode(c)));

    public static readonly Gen<ExtensionObject> ExtensionObjects = Gen.OneOf(
        NodeIds.Select(ExtensionObject.Empty),
        from id in NodeIds from body in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()) select ExtensionObject.FromBytes(id, body),
        from id in NodeIds from xml in Gen.Elements("<a/>", "<x>1</x>", "") select ExtensionObject.FromXml(id, xml));

    public static Gen<DiagnosticInfo?> DiagnosticInfos(int depth) =>
        depth == 0 ? Gen.Constant<DiagnosticInfo?>(null) : Gen.OneOf(
            Gen.Constant<DiagnosticInfo?>(null),
            from symbolic in OptionalInt
            from uri in OptionalInt
            from locale in OptionalInt
            from text in OptionalInt
            from info in Gen.OneOf(Gen.Constant<string?>(null), Gen.Elements<string?>("", "stack trace", "水"))
            from inner in Gen.OneOf(Gen.Constant<StatusCode?>(null), StatusCodes.Select(s => (StatusCode?)s))
            from innerInfo in DiagnosticInfos(depth - 1)
            select EmptyIsNull(new DiagnosticInfo
            {
                SymbolicId = symbolic, NamespaceUri = uri, Locale = locale, LocalizedText = text,
                AdditionalInfo = info, InnerStatusCode = inner, InnerDiagnosticInfo = innerInfo,
            }));

    /// <summary>A DiagnosticInfo with no field is the wire's null (mask 0).</summary>
    private static DiagnosticInfo? EmptyIsNull(DiagnosticInfo info) => info == new DiagnosticInfo() ? null : info;

    public static Gen<DataValue> DataValues(int depth) =>
        from hasValue in ArbMap.Default.GeneratorFor<bool>()
        from value in Variants(depth - 1)
        from status in StatusCodes
        from source in Timestamps
        from sourcePico in Gen.Elements<ushort>(0, 1, 9999)
        from server in Timestamps
        from serverPico in Gen.Elements<ushort>(0, 7)
        select new DataValue(hasValue ? value : Variant.Null, status, source, sourcePico, server, serverPico, hasValue);

    public static Gen<Variant> Variants(int depth) => Gen.OneOf(
        Gen.Constant(Variant.Null),
        Scalars(depth),
        Arrays(depth),
        Matrices);

    public static Gen<Variant> Scalars(int depth)
    {
        var simple = new List<Gen<Variant>>
        {
            ArbMap.Default.GeneratorFor<bool>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<sbyte>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<byte>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<short>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<ushort>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<int>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<uint>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<long>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<ulong>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<float>().Select(v => new Variant(v)),
            ArbMap.Default.GeneratorFor<double>().Select(v => new Variant(v)),
            Text.Select(v => new Variant(v)),
            Timestamps.Select(Variant.FromDateTime),
            Guids.Select(v => new Variant(v)),
            Bytes.Select(Variant.FromByteString),
            Gen.Elements<string?>(null, "<a/>").Select(Variant.FromXmlElement),
            NodeIds.Select(v => new Variant(v)),
            ExpandedNodeIds.Select(v => new Variant(v)),
            StatusCodes.Select(v => new Variant(v)),
            QualifiedNames.Select(v => new Variant(v)),
            LocalizedTexts.Select(v => new Variant(v)),
            ExtensionObjects.Select(v => new Variant(v)),
            DiagnosticInfos(Math.Max(depth, 1)).Select(v => new Variant(v)),
        };
        if (depth > 0)
        {
            simple.Add(DataValues(depth).Select(v => new Variant(v)));
        }

        return Gen.OneOf(simple);
    }

    public static Gen<Variant> Arrays(int depth)
    {
        var arrays = new List<Gen<Variant>>
        {
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<bool>()).Select(a => Variant.FromArray(BuiltInType.Boolean, a)),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).Select(a => Variant.FromArray(BuiltInType.Byte, a)),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<short>()).Select(a => Variant.FromArray(BuiltInType.Int16, a)),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<int>()).Select(a => Variant.FromArray(BuiltInType.Int32, a)),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<ulong>()).Select(a => Variant.FromArray(BuiltInType.UInt64, a)),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<float>()).Select(a => Variant.FromArray(BuiltInType.Float, a)),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<double>()).Select(a => Variant.FromArray(BuiltInType.Double, a)),
            Gen.ArrayOf(Text).Select(a => Variant.FromArray(BuiltInType.String, a)),
            Gen.ArrayOf(Timestamps).Select(a => Variant.FromArray(BuiltInType.DateTime, a)),
            Gen.ArrayOf(Guids).Select(a => Variant.FromArray(BuiltInType.Guid, a)),
            Gen.ArrayOf(Bytes).Select(a => Variant.FromArray(BuiltInType.ByteString, a)),
            Gen.ArrayOf(NodeIds).Select(a => Variant.FromArray(BuiltInType.NodeId, a)),
            Gen.ArrayOf(StatusCodes).Select(a => Variant.FromArray(BuiltInType.StatusCode, a)),
            Gen.ArrayOf(QualifiedNames).Select(a => Variant.FromArray(BuiltInType.QualifiedName, a)),
            Gen.ArrayOf(LocalizedTexts).Select(a => Variant.FromArray(BuiltInType.LocalizedText, a)),
            Gen.ArrayOf(ExtensionObjects).Select(a => Variant.FromArray(BuiltInType.ExtensionObject, a)),
        };
        if (depth > 0)
        {
            arrays.Add(Gen.ArrayOf(Variants(depth - 1)).Select(a => Variant.FromArray(BuiltInType.Variant, a)));
            arrays.Add(Gen.ArrayOf(DataValues(depth - 1)).Select(a => Variant.FromArray(BuiltInType.DataValue, a)));
        }

        return Gen.OneOf(arrays);
    }

    /// <summary>Matrices of 2 or 3 dimensions, empty ones (a zero dimension) included.</summary>
    public static readonly Gen<Variant> Matrices =
        from dimensions in Gen.OneOf(
            from rows in Gen.Choose(0, 4) from columns in Gen.Choose(0, 4) select new[] { rows, columns },
            from a in Gen.Choose(1, 3) from b in Gen.Choose(1, 3) from c in Gen.Choose(1, 3) select new[] { a, b, c })
        let length = dimensions.Aggregate(1, (p, d) => p * d)
        from seed in ArbMap.Default.GeneratorFor<double>()
        select Variant.FromArray(BuiltInType.Double, Enumerable.Range(0, length).Select(i => seed * i).ToArray(), dimensions);

    public static readonly Gen<long> Timestamps = Gen.OneOf(
        Gen.Elements(0L, 1L, UaDateTime.UnixEpochTicks, long.MaxValue),
        ArbMap.Default.GeneratorFor<long>());

    private static readonly Gen<int?> OptionalInt = Gen.OneOf(Gen.Constant<int?>(null), ArbMap.Default.GeneratorFor<int>().Select(i => (int?)i));

    /// <summary>Generated strings may hold lone surrogates, which no UTF-8 encoder writes; replace them.</summary>
    private static string? Sanitize(string? s)
    {
        if (s is null)
        {
            return null;
        }

        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsSurrogate(chars[i]) && !(char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])))
            {
                chars[i] = '?';
            }
            else if (char.IsHighSurrogate(chars[i]))
            {
                i++;
            }
        }

        return new string(chars);
    }
}
