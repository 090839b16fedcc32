using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Neokernel.Contracts;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Kernel.Services;

/// <summary>
/// The bytes a <see cref="HostedServiceSpec"/> crosses a process boundary as: little-endian
/// integers, strings as a u16 byte count and UTF-8, lists as a u16 count, optional parts behind a
/// 0/1 byte, enums as one byte checked against their defined values, a region's point names as
/// entries that are each one name or a run of numbered names (s0000 .. s4095 in one entry, see
/// <see cref="PointSeries"/>), at most <see cref="Region.PointsMax"/> names in all. Written by hand, field by
/// field, with no reflection. The decoder reads data from a socket, so it trusts nothing: every
/// length and count is checked against a named maximum before anything is allocated for it, every
/// loop is bounded by such a count and consumes input, and every failure is an
/// <see cref="InvalidDataException"/> that names the field.
/// </summary>
public static class HostedServiceSpecCodec
{
    /// <summary>The most bytes one encoded spec may take: more is refused before decoding starts.</summary>
    public const int BytesMax = 256 * 1024;

    /// <summary>The most UTF-8 bytes of one string (an id, a name, a parameter's text, a URI).</summary>
    public const int StringBytesMax = 4_096;

    /// <summary>The most entries of any one list (regions, endpoints, routes, parameters, clients, devices, safe values).</summary>
    public const int ListCountMax = 1_024;

    /// <summary>Leads every encoding: "NKHS" and a version byte, so a stray message is refused at once.</summary>
    private const uint Magic = 0x53484B4E;
    private const byte Version = 4;

    /// <summary>An entry of a point-name list: one name as written.</summary>
    private const byte PointNameEntry = 0;

    /// <summary>An entry of a point-name list: a run of numbered names (<see cref="PointSeries"/>).</summary>
    private const byte PointRunEntry = 1;

    public static byte[] Encode(HostedServiceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var writer = new Writer();
        writer.U32(Magic);
        writer.U8(Version);
        WriteService(writer, spec.Service);
        writer.List(spec.Regions, static (w, r) =>
        {
            w.String(r.Name);
            w.String(r.Writer);
            w.PointNames(r.Points);
            w.I64(r.WriterPeriodUs);
        });
        writer.List(spec.Endpoints, static (w, e) =>
        {
            w.String(e.Name);
            w.String(e.Provider);
            w.List(e.Clients, static (w, c) => w.String(c));
            w.I32(e.QueueDepth);
            w.I32(e.MaxMessageBytes);
        });
        writer.List(spec.Routes, static (w, r) =>
        {
            w.String(r.Client);
            w.String(r.Endpoint);
            w.U8((byte)r.Operations);
        });
        var bytes = writer.ToArray();
        return bytes.Length <= BytesMax
            ? bytes
            : throw new ArgumentException($"service '{spec.Service.Id}' encodes to {bytes.Length} bytes, more than the {BytesMax} a host accepts", nameof(spec));
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote; anything else throws <see cref="InvalidDataException"/> naming the field.</summary>
    public static HostedServiceSpec Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > BytesMax)
        {
            throw new InvalidDataException($"hosted service spec: {bytes.Length} bytes, more than the {BytesMax} allowed");
        }

        var reader = new Reader(bytes);
        if (reader.U32("magic") != Magic)
        {
            throw new InvalidDataException("hosted service spec: magic: not a hosted service spec");
        }

        var version = reader.U8("version");
        if (version != Version)
        {
            throw new InvalidDataException($"hosted service spec: version: {version}, this host reads version {Version}");
        }

        var service = ReadService(ref reader);
        var regions = reader.Count("regions", ListCountMax);
        var regionLayouts = ImmutableArray.CreateBuilder<HostedRegion>(reader.Capacity(regions));
        for (var i = 0; i < regions; i++)
        {
            regionLayouts.Add(new HostedRegion(
                reader.String("regions.name"),
                reader.String("regions.writer"),
                reader.PointNames("regions.points"),
                reader.NonNegative64("regions.writerPeriodUs")));
        }

        var endpoints = reader.Count("endpoints", ListCountMax);
        var endpointLayouts = ImmutableArray.CreateBuilder<HostedEndpoint>(reader.Capacity(endpoints));
        for (var i = 0; i < endpoints; i++)
        {
            endpointLayouts.Add(new HostedEndpoint(
                reader.String("endpoints.name"),
                reader.String("endpoints.provider"),
                reader.Strings("endpoints.clients", ListCountMax),
                reader.Positive("endpoints.queueDepth"),
                reader.Positive("endpoints.maxMessageBytes")));
        }

        var routes = reader.Count("routes", ListCountMax);
        var routeSpecs = ImmutableArray.CreateBuilder<RouteSpec>(reader.Capacity(routes));
        for (var i = 0; i < routes; i++)
        {
            routeSpecs.Add(new RouteSpec(reader.String("routes.client"), reader.String("routes.endpoint"), (ControlRights)reader.Flags("routes.operations", 0x0F)));
        }

        reader.End();
        return new HostedServiceSpec(service, regionLayouts.ToImmutable(), endpointLayouts.ToImmutable(), routeSpecs.ToImmutable());
    }

    private static void WriteService(Writer w, ServiceSpec s)
    {
        w.String(s.Id);
        w.U8((byte)s.Kind);
        w.Optional(s.Description, static (w, d) => w.String(d));
        w.String(s.Program.Type);
        WriteParameters(w, s.Program.Parameters);
        w.Optional(s.Timing, static (w, t) =>
        {
            w.U8((byte)t.Class);
            w.I32(t.Priority);
            w.Optional(t.Cpu, static (w, cpu) => w.I32(cpu));
            w.I64(t.PeriodUs);
            w.I64(t.PhaseUs);
            w.I64(t.DeadlineUs);
            w.I64(t.BudgetUs);
            w.U8((byte)t.OverrunPolicy);
            w.I32(t.OverrunsMax);
        });
        w.List(s.Regions, static (w, r) =>
        {
            w.String(r.Name);
            w.U8((byte)r.Access);
            w.PointNames(r.Points);
        });
        w.List(s.Provides, static (w, e) =>
        {
            w.String(e.Name);
            w.I32(e.MaxMessageBytes);
            w.I32(e.QueueDepth);
        });
        w.List(s.Uses, static (w, u) => w.String(u));
        w.List(s.Devices, static (w, d) =>
        {
            w.String(d.Name);
            w.String(d.Uri);
            w.U8((byte)d.Access);
        });
        w.I64(s.Limits.MemoryLimitBytes);
        w.I64(s.Limits.CpuQuotaUs);
        w.I64(s.Limits.CpuPeriodUs);
        w.I32(s.Limits.FilesOpenMax);
        w.U8((byte)s.Restart.Policy);
        w.I32(s.Restart.MaxRestarts);
        w.I64(s.Restart.WithinMs);
        w.I64(s.Restart.BackoffInitialMs);
        w.I64(s.Restart.BackoffMaxMs);
        w.I64(s.Restart.HeartbeatTimeoutMs);
        w.Optional(s.SafeState, static (w, safe) =>
        {
            w.U8((byte)safe.OnBadInput);
            w.List(safe.Outputs, static (w, o) =>
            {
                w.String(o.Region);
                w.String(o.Point);
                w.F64(o.Value);
            });
        });
        w.List(s.DependsOn, static (w, d) => w.String(d));
        w.Optional(s.Retain, static (w, retain) =>
        {
            w.String(retain.Path);
            w.I32(retain.BytesMax);
        });
        w.Bool(s.Isolated);
    }

    /// <summary>Parameters, then tables, each in ordinal name order, so the same spec always encodes to the same bytes.</summary>
    private static void WriteParameters(Writer w, ProgramParameters parameters)
    {
        WriteValues(w, parameters);
        var tables = parameters.Tables.Keys.Order(StringComparer.Ordinal).ToImmutableArray();
        w.List(tables, (w, name) =>
        {
            w.String(name);
            w.List(parameters.Tables[name], static (w, row) => WriteValues(w, row), TableDeclaration.RowsLimit);
        });
    }

    private static void WriteValues(Writer w, ProgramParameters parameters)
    {
        var names = parameters.All.Keys.Order(StringComparer.Ordinal).ToImmutableArray();
        w.List(names, (w, name) =>
        {
            var value = parameters.All[name];
            w.String(name);
            w.U8((byte)value.Type);
            w.String(value.Text);
            w.F64(value.Number);
            w.I64(value.Integer);
            w.Bool(value.Boolean);
            w.Bool(parameters.IsGiven(name));
        });
    }

    private static ServiceSpec ReadService(ref Reader r)
    {
        var id = r.String("service.id");
        var kind = r.Enum<ServiceKind>("service.kind");
        var description = r.Present("service.description") ? r.String("service.description") : null;
        var program = new ProgramSpec(r.String("service.program.type"), ReadParameters(ref r));
        var timing = r.Present("service.timing") ? ReadTiming(ref r) : null;
        var regionCount = r.Count("service.regions", ListCountMax);
        var regions = ImmutableArray.CreateBuilder<RegionSpec>(r.Capacity(regionCount));
        for (var i = 0; i < regionCount; i++)
        {
            regions.Add(new RegionSpec(r.String("service.regions.name"), r.Enum<RegionAccess>("service.regions.access"), r.PointNames("service.regions.points")));
        }

        var providesCount = r.Count("service.provides", ListCountMax);
        var provides = ImmutableArray.CreateBuilder<ProvidedEndpointSpec>(r.Capacity(providesCount));
        for (var i = 0; i < providesCount; i++)
        {
            provides.Add(new ProvidedEndpointSpec(r.String("service.provides.name"), r.Positive("service.provides.maxMessageBytes"), r.Positive("service.provides.queueDepth")));
        }

        var uses = r.Strings("service.uses", ListCountMax);
        var deviceCount = r.Count("service.devices", ListCountMax);
        var devices = ImmutableArray.CreateBuilder<DeviceSpec>(r.Capacity(deviceCount));
        for (var i = 0; i < deviceCount; i++)
        {
            devices.Add(new DeviceSpec(r.String("service.devices.name"), r.String("service.devices.uri"), (DeviceAccess)r.Flags("service.devices.access", (int)DeviceAccess.ReadWrite)));
        }

        var limits = new LimitsSpec(r.NonNegative64("service.limits.memoryLimitBytes"), r.NonNegative64("service.limits.cpuQuotaUs"), r.NonNegative64("service.limits.cpuPeriodUs"), r.NonNegative("service.limits.filesOpenMax"));
        var restart = new RestartSpec(
            r.Enum<RestartPolicy>("service.restart.policy"),
            r.NonNegative("service.restart.maxRestarts"),
            r.NonNegative64("service.restart.withinMs"),
            r.NonNegative64("service.restart.backoffInitialMs"),
            r.NonNegative64("service.restart.backoffMaxMs"),
            r.NonNegative64("service.restart.heartbeatTimeoutMs"));
        var safeState = r.Present("service.safeState") ? ReadSafeState(ref r) : null;
        var dependsOn = r.Strings("service.dependsOn", ListCountMax);
        var retain = r.Present("service.retain") ? new RetainSpec(r.String("service.retain.path"), r.Positive("service.retain.bytesMax")) : null;
        return new ServiceSpec
        {
            Id = id,
            Kind = kind,
            Description = description,
            Program = program,
            Timing = timing,
            Regions = regions.ToImmutable(),
            Provides = provides.ToImmutable(),
            Uses = uses,
            Devices = devices.ToImmutable(),
            Limits = limits,
            Restart = restart,
            SafeState = safeState,
            DependsOn = dependsOn,
            Retain = retain,
            Isolated = r.Bool("service.isolated"),
        };
    }

    private static ProgramParameters ReadParameters(ref Reader r)
    {
        var (values, given) = ReadValues(ref r, "service.program.parameters");
        var tableCount = r.Count("service.program.tables", ListCountMax);
        var tables = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ProgramParameters>>(StringComparer.Ordinal);
        for (var t = 0; t < tableCount; t++)
        {
            var name = r.String("service.program.tables.name");
            var rowCount = r.Count("service.program.tables.rows", TableDeclaration.RowsLimit);
            var rows = ImmutableArray.CreateBuilder<ProgramParameters>(r.Capacity(rowCount));
            for (var i = 0; i < rowCount; i++)
            {
                var (rowValues, rowGiven) = ReadValues(ref r, "service.program.tables.rows");
                rows.Add(ProgramParameters.FromValues(rowValues, rowGiven));
            }

            if (!tables.TryAdd(name, rows.ToImmutable()))
            {
                throw new InvalidDataException($"hosted service spec: service.program.tables: '{name}' appears twice");
            }
        }

        return ProgramParameters.FromValues(values, given, tables.ToImmutable());
    }

    private static (ImmutableDictionary<string, ParameterValue> Values, ImmutableHashSet<string> Given) ReadValues(ref Reader r, string field)
    {
        var count = r.Count(field, ListCountMax);
        var values = ImmutableDictionary.CreateBuilder<string, ParameterValue>(StringComparer.Ordinal);
        var given = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = r.String(field + ".name");
            var value = new ParameterValue(r.Enum<ParameterType>(field + ".type"), r.String(field + ".text"), r.F64(field + ".number"), r.I64(field + ".integer"), r.Bool(field + ".boolean"));
            if (!values.TryAdd(name, value))
            {
                throw new InvalidDataException($"hosted service spec: {field}: '{name}' appears twice");
            }

            if (r.Bool(field + ".given"))
            {
                given.Add(name);
            }
        }

        return (values.ToImmutable(), given.ToImmutable());
    }

    private static TimingSpec ReadTiming(ref Reader r) => new(
        r.Enum<TimingClass>("service.timing.class"),
        r.I32("service.timing.priority"),
        r.Present("service.timing.cpu") ? r.NonNegative("service.timing.cpu") : null,
        r.Positive64("service.timing.periodUs"),
        r.NonNegative64("service.timing.phaseUs"),
        r.Positive64("service.timing.deadlineUs"),
        r.Positive64("service.timing.budgetUs"),
        r.Enum<OverrunPolicy>("service.timing.overrunPolicy"),
        r.NonNegative("service.timing.overrunsMax"));

    private static SafeStateSpec ReadSafeState(ref Reader r)
    {
        var policy = r.Enum<BadInputPolicy>("service.safeState.onBadInput");
        var count = r.Count("service.safeState.outputs", ListCountMax);
        var outputs = ImmutableArray.CreateBuilder<SafeValueSpec>(r.Capacity(count));
        for (var i = 0; i < count; i++)
        {
            outputs.Add(new SafeValueSpec(r.String("service.safeState.outputs.region"), r.String("service.safeState.outputs.point"), r.F64("service.safeState.outputs.value")));
        }

        return new SafeStateSpec(policy, outputs.ToImmutable());
    }

    /// <summary>Appends fields; control plane, allocates.</summary>
    private sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> buffer = new(1_024);

        public byte[] ToArray() => buffer.WrittenSpan.ToArray();

        public void U8(byte value)
        {
            buffer.GetSpan(1)[0] = value;
            buffer.Advance(1);
        }

        public void Bool(bool value) => U8(value ? (byte)1 : (byte)0);

        public void U16(int value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.GetSpan(2), checked((ushort)value));
            buffer.Advance(2);
        }

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.GetSpan(4), value);
            buffer.Advance(4);
        }

        public void I32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
            buffer.Advance(4);
        }

        public void I64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
            buffer.Advance(8);
        }

        public void F64(double value) => I64(BitConverter.DoubleToInt64Bits(value));

        public void String(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            if (length > StringBytesMax)
            {
                throw new ArgumentException($"'{value[..32]}…' is {length} UTF-8 bytes, more than the {StringBytesMax} a hosted service spec carries", nameof(value));
            }

            U16(length);
            buffer.Advance(Encoding.UTF8.GetBytes(value, buffer.GetSpan(length)));
        }

        public void List<T>(ImmutableArray<T> items, Action<Writer, T> write, int countMax = ListCountMax)
        {
            if (items.Length > countMax)
            {
                throw new ArgumentException($"a list of {items.Length} entries is more than the {countMax} a hosted service spec carries", nameof(items));
            }

            U16(items.Length);
            foreach (var item in items)
            {
                write(this, item);
            }
        }

        /// <summary>Point names, each run of consecutive numbered names (same prefix and width) as one entry.</summary>
        public void PointNames(ImmutableArray<string> names)
        {
            if (names.Length > Region.PointsMax)
            {
                throw new ArgumentException($"a region of {names.Length} points is more than the {Region.PointsMax} a hosted service spec carries", nameof(names));
            }

            var entries = new List<(int Start, int Count)>();
            for (var start = 0; start < names.Length; start += entries[^1].Count)
            {
                entries.Add((start, RunLength(names, start)));
            }

            U16(entries.Count);
            foreach (var (start, count) in entries)
            {
                if (count == 1)
                {
                    U8(PointNameEntry);
                    String(names[start]);
                    continue;
                }

                PointSeries.TrySplit(names[start], out var prefix, out var first, out var digits);
                U8(PointRunEntry);
                String(prefix);
                I32(first);
                U16(count);
                U8((byte)digits);
            }
        }

        /// <summary>How many names from <paramref name="start"/> on continue one numbered run (1 when none does).</summary>
        private static int RunLength(ImmutableArray<string> names, int start)
        {
            if (!PointSeries.TrySplit(names[start], out var prefix, out var first, out var digits))
            {
                return 1;
            }

            var count = 1;
            while (start + count < names.Length
                && PointSeries.TrySplit(names[start + count], out var nextPrefix, out var next, out var nextDigits)
                && next == first + count && nextDigits == digits && nextPrefix == prefix)
            {
                count++;
            }

            return count;
        }

        public void Optional<T>(T? value, Action<Writer, T> write)
            where T : class
        {
            Bool(value is not null);
            if (value is not null)
            {
                write(this, value);
            }
        }

        public void Optional(int? value, Action<Writer, int> write)
        {
            Bool(value.HasValue);
            if (value is { } present)
            {
                write(this, present);
            }
        }
    }

    /// <summary>Reads fields off untrusted bytes; every failure names the field.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;
        private int position;

        public byte U8(string field) => Take(1, field)[0];

        public bool Bool(string field) => U8(field) switch
        {
            0 => false,
            1 => true,
            var other => throw Invalid(field, $"{other} is not a flag (0 or 1)"),
        };

        public bool Present(string field) => U8(field) switch
        {
            0 => false,
            1 => true,
            var other => throw Invalid(field, $"presence byte {other} is neither 0 (absent) nor 1 (present)"),
        };

        public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

        public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

        public long I64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

        public double F64(string field) => BitConverter.Int64BitsToDouble(I64(field));

        public int NonNegative(string field)
        {
            var value = I32(field);
            return value >= 0 ? value : throw Invalid(field, $"{value} is negative");
        }

        public int Positive(string field)
        {
            var value = I32(field);
            return value > 0 ? value : throw Invalid(field, $"{value} is not positive");
        }

        public long NonNegative64(string field)
        {
            var value = I64(field);
            return value >= 0 ? value : throw Invalid(field, $"{value} is negative");
        }

        public long Positive64(string field)
        {
            var value = I64(field);
            return value > 0 ? value : throw Invalid(field, $"{value} is not positive");
        }

        public int Count(string field, int countMax)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
            return count <= countMax ? count : throw Invalid(field, $"{count} entries, more than the {countMax} allowed");
        }

        /// <summary>An int-backed enum (every one in a spec but the flags, read with <see cref="Flags"/>).</summary>
        public T Enum<T>(string field)
            where T : struct, Enum
        {
            var raw = U8(field);
            var value = (T)(object)(int)raw;
            return System.Enum.IsDefined(value) ? value : throw Invalid(field, $"{raw} is not a {typeof(T).Name}");
        }

        /// <summary>A flags byte whose set bits must lie within <paramref name="mask"/>.</summary>
        public byte Flags(string field, int mask)
        {
            var raw = U8(field);
            return (raw & ~mask) == 0 ? raw : throw Invalid(field, $"{raw} sets bits outside 0x{mask:X2}");
        }

        /// <summary>
        /// What to reserve for a list of <paramref name="count"/> entries: no more than the bytes
        /// left could hold (each entry takes at least two), so a count in a short message cannot
        /// make the decoder allocate much.
        /// </summary>
        public readonly int Capacity(int count) => Math.Min(count, (bytes.Length - position) / 2);

        public string String(string field)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
            if (length > StringBytesMax)
            {
                throw Invalid(field, $"a string of {length} bytes, more than the {StringBytesMax} allowed");
            }

            try
            {
                return StrictUtf8.GetString(Take(length, field));
            }
            catch (DecoderFallbackException)
            {
                throw Invalid(field, "not valid UTF-8");
            }
        }

        public ImmutableArray<string> Strings(string field, int countMax)
        {
            var count = Count(field, countMax);
            var items = ImmutableArray.CreateBuilder<string>(Capacity(count));
            for (var i = 0; i < count; i++)
            {
                items.Add(String(field));
            }

            return items.ToImmutable();
        }

        /// <summary>What <see cref="Writer.PointNames"/> wrote: at most <see cref="Region.PointsMax"/> names, every run a valid series.</summary>
        public ImmutableArray<string> PointNames(string field)
        {
            var entries = Count(field, Region.PointsMax);
            var names = ImmutableArray.CreateBuilder<string>(Capacity(entries));
            for (var i = 0; i < entries; i++)
            {
                var tag = U8(field);
                if (tag == PointNameEntry)
                {
                    names.Add(String(field));
                    continue;
                }

                if (tag != PointRunEntry)
                {
                    throw Invalid(field, $"entry tag {tag} is neither {PointNameEntry} (a name) nor {PointRunEntry} (a run)");
                }

                var series = Run(field);
                if (names.Count + series.Count > Region.PointsMax)
                {
                    throw Invalid(field, $"more than the {Region.PointsMax} points a region has");
                }

                names.AddRange(series.Names());
            }

            return names.ToImmutable();
        }

        private PointSeries Run(string field)
        {
            var prefix = String(field);
            var first = I32(field);
            var count = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
            var digits = U8(field);
            try
            {
                return new PointSeries(prefix, first, count, digits);
            }
            catch (ArgumentException e)
            {
                throw Invalid(field, $"a run of {count} names from '{prefix}' {first} with {digits} digits is no point series: {e.Message}");
            }
        }

        public readonly void End()
        {
            if (position != bytes.Length)
            {
                throw Invalid("end", $"{bytes.Length - position} bytes after the last field");
            }
        }

        private ReadOnlySpan<byte> Take(int count, string field)
        {
            if (bytes.Length - position < count)
            {
                throw Invalid(field, $"truncated: {count} bytes needed at offset {position}, {bytes.Length - position} left");
            }

            var taken = bytes.Slice(position, count);
            position += count;
            return taken;
        }

        private static InvalidDataException Invalid(string field, string problem) => new($"hosted service spec: {field}: {problem}");
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
