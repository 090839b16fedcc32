using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Neokernel.Controllers.Blocks;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>
/// What a block network retains across restarts: the values its manifest lists under
/// <c>retain</c> (settable inputs and parameters, block state), each stored with its name and type so that a
/// manifest that gains, loses or reorders retained values still restores those it keeps. The
/// payload (little-endian): u8 layout version, u16 count, then per value u8 name length, the name
/// (<c>block.NAME</c>, UTF-8), u8 type (<see cref="BlockValueType"/>) and 8 bytes: the f64 of a
/// REAL, the i64 of a BOOL (0 or 1), a DINT or a TIME in nanoseconds. The store adds the sequence
/// and the checksum. Encoding a save reuses one buffer whose names are written once: allocation-free.
/// </summary>
public sealed class BlockNetworkRetain
{
    public const byte LayoutVersion = 1;

    private const int Header = 3;

    private readonly IRetainStore store;
    private readonly Binding[] bindings;
    private readonly BlockValues values;
    private readonly byte[] saved;
    private readonly byte[] current;

    private BlockNetworkRetain(IRetainStore store, BlockNetwork network, ImmutableArray<NetworkValue> retained)
    {
        this.store = store;
        values = network.Values;
        current = new byte[RecordBytes(retained)];
        current[0] = LayoutVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(current.AsSpan(1), (ushort)retained.Length);
        bindings = new Binding[retained.Length];
        var offset = Header;
        for (var i = 0; i < retained.Length; i++)
        {
            var value = retained[i];
            var name = Encoding.UTF8.GetBytes(value.FullName);
            current[offset] = (byte)name.Length;
            name.CopyTo(current, offset + 1);
            offset += 1 + name.Length;
            current[offset] = (byte)value.Type;
            var block = network.Block(value.Block);
            var index = value.Kind switch
            {
                NetworkValueKind.State => block.Descriptor.StateIndex(value.Name),
                NetworkValueKind.Parameter => block.Descriptor.ParameterIndex(value.Name),
                _ => block.InputSlots[block.Descriptor.InputIndex(value.Name)],
            };
            bindings[i] = new Binding(value.FullName, value.Kind, value.Type, block, index, offset + 1);
            offset += 1 + 8;
        }

        saved = new byte[current.Length];
    }

    /// <summary>The payload's size for <paramref name="retained"/>: what retain.bytesMax must hold.</summary>
    public static int RecordBytes(ImmutableArray<NetworkValue> retained) =>
        Header + retained.Sum(v => 1 + Encoding.UTF8.GetByteCount(v.FullName) + 1 + 8);

    /// <summary>Values restored at open: for diagnostics and tests.</summary>
    public int RestoredCount { get; private set; }

    /// <summary>
    /// The store of a network whose manifest retains values, with those values restored from it
    /// (before the first cycle); null when the network retains nothing.
    /// </summary>
    public static BlockNetworkRetain? Open(IServiceContext context, BlockNetwork network, ImmutableArray<NetworkValue> retained)
    {
        if (retained.IsEmpty)
        {
            return null;
        }

        var retain = new BlockNetworkRetain(context.OpenRetainStore(), network, retained);
        if (retain.current.Length > retain.store.BytesMax)
        {
            throw new ServiceConfigurationException(context.ServiceId, "retain.bytesMax", $"the retained values take {retain.current.Length} bytes, more than retain.bytesMax ({retain.store.BytesMax})");
        }

        if (retain.store.Restored.HasValues)
        {
            retain.Restore(retain.store.Restored.Payload.Span);
        }

        retain.Encode();
        retain.current.CopyTo(retain.saved, 0);
        return retain;
    }

    /// <summary>Saves when a retained value differs from what was last saved (or restored). Allocation-free.</summary>
    public void SaveIfChanged()
    {
        Encode();
        if (current.AsSpan().SequenceEqual(saved))
        {
            return;
        }

        current.CopyTo(saved, 0);
        store.Save(current);
    }

    /// <summary>Writes the retained values into <see cref="current"/>, whose header and names were written once.</summary>
    private void Encode()
    {
        foreach (var binding in bindings)
        {
            var value = binding.Kind switch
            {
                NetworkValueKind.State => binding.Block.GetState(binding.Index),
                NetworkValueKind.Parameter => binding.Block.Parameter(binding.Index),
                _ => values.Get(binding.Type, binding.Index),
            };
            var target = current.AsSpan(binding.Offset, 8);
            switch (binding.Type)
            {
                case BlockValueType.Real: BinaryPrimitives.WriteDoubleLittleEndian(target, value.AsReal); break;
                case BlockValueType.Bool: BinaryPrimitives.WriteInt64LittleEndian(target, value.AsBool ? 1 : 0); break;
                case BlockValueType.Dint: BinaryPrimitives.WriteInt64LittleEndian(target, value.AsDint); break;
                default: BinaryPrimitives.WriteInt64LittleEndian(target, value.AsTimeNanoseconds); break;
            }
        }
    }

    /// <summary>
    /// Applies every stored value that names a retained value of the same type; warns of the rest.
    /// A block's stored parameters are retuned together, so limits that moved as a pair restore as
    /// one; when they do not fit the manifest's other parameters (which may have changed since),
    /// that block keeps the manifest's and the warning says why. Control plane.
    /// </summary>
    private void Restore(ReadOnlySpan<byte> payload)
    {
        if (!TryDecode(payload, out var stored, out var problem))
        {
            store.Discard(problem);
            return;
        }

        var dropped = new List<string>();
        var tunings = new List<(Binding Binding, BlockValue Value)>();
        foreach (var (name, type, value) in stored)
        {
            var binding = Array.Find(bindings, b => b.Name == name);
            if (binding.Name is null || binding.Type != type)
            {
                dropped.Add(binding.Name is null ? name : $"{name} (stored as {BlockValue.TypeName(type)}, now {BlockValue.TypeName(binding.Type)})");
                continue;
            }

            switch (binding.Kind)
            {
                case NetworkValueKind.State: binding.Block.SetState(binding.Index, value); break;
                case NetworkValueKind.Parameter: tunings.Add((binding, value)); continue;
                default: values.Set(binding.Index, value); break;
            }

            RestoredCount++;
        }

        var refused = new List<string>();
        foreach (var block in tunings.Select(t => t.Binding.Block).Distinct())
        {
            var own = tunings.Where(t => t.Binding.Block == block).ToArray();
            var changes = own.Select(t => new ParameterChange(t.Binding.Index, t.Value)).ToArray();
            if (block.Retune(changes) is { } why)
            {
                refused.Add($"{string.Join(", ", own.Select(t => $"{t.Binding.Name} = {t.Value}"))} {(own.Length == 1 ? "was" : "were")} not restored ({why})");
            }
            else
            {
                RestoredCount += own.Length;
            }
        }

        var warnings = new List<string>();
        if (dropped.Count > 0)
        {
            warnings.Add($"{string.Join(", ", dropped)} {(dropped.Count == 1 ? "is" : "are")} no longer retained by the manifest and {(dropped.Count == 1 ? "was" : "were")} dropped");
        }

        warnings.AddRange(refused);
        if (warnings.Count == 0)
        {
            return;
        }

        var text = string.Join("; ", warnings);
        if (RestoredCount == 0)
        {
            store.Discard(text);
        }
        else
        {
            store.DiscardPart(text);
        }
    }

    /// <summary>Reads a payload; false with <paramref name="problem"/> for another version, a truncated or overlong record, an unknown type or a value its type cannot hold.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out List<(string Name, BlockValueType Type, BlockValue Value)> stored, out string problem)
    {
        stored = [];
        problem = string.Empty;
        if (payload.Length < Header || payload[0] != LayoutVersion)
        {
            problem = payload.Length < Header ? $"a block network record of {payload.Length} bytes is shorter than its header" : $"layout version {payload[0]}, where this build writes {LayoutVersion}";
            return false;
        }

        var count = BinaryPrimitives.ReadUInt16LittleEndian(payload[1..]);
        var offset = Header;
        for (var i = 0; i < count; i++)
        {
            if (offset >= payload.Length || offset + 1 + payload[offset] + 1 + 8 > payload.Length)
            {
                problem = $"the record ends inside value {i.ToString(CultureInfo.InvariantCulture)} of {count.ToString(CultureInfo.InvariantCulture)}";
                return false;
            }

            var nameLength = payload[offset];
            var name = Encoding.UTF8.GetString(payload.Slice(offset + 1, nameLength));
            offset += 1 + nameLength;
            var type = (BlockValueType)payload[offset];
            var raw = payload.Slice(offset + 1, 8);
            offset += 1 + 8;
            BlockValue? value = type switch
            {
                BlockValueType.Real when BinaryPrimitives.ReadDoubleLittleEndian(raw) is var real && double.IsFinite(real) => BlockValue.Real(real),
                BlockValueType.Bool when BinaryPrimitives.ReadInt64LittleEndian(raw) is 0 or 1 => BlockValue.Bool(BinaryPrimitives.ReadInt64LittleEndian(raw) == 1),
                BlockValueType.Dint when BinaryPrimitives.ReadInt64LittleEndian(raw) is >= int.MinValue and <= int.MaxValue => BlockValue.Dint((int)BinaryPrimitives.ReadInt64LittleEndian(raw)),
                BlockValueType.Time when BinaryPrimitives.ReadInt64LittleEndian(raw) is >= 0 and <= BlockLimits.TimeNanosecondsMax => BlockValue.Time(BinaryPrimitives.ReadInt64LittleEndian(raw)),
                _ => null,
            };
            if (value is null)
            {
                problem = $"value {name} holds no valid {(Enum.IsDefined(type) ? BlockValue.TypeName(type) : $"value of type {(byte)type}")}";
                return false;
            }

            stored.Add((name, type, value.Value));
        }

        if (offset != payload.Length)
        {
            problem = $"{(payload.Length - offset).ToString(CultureInfo.InvariantCulture)} bytes follow the record's {count.ToString(CultureInfo.InvariantCulture)} values";
            return false;
        }

        return true;
    }

    private readonly record struct Binding(string Name, NetworkValueKind Kind, BlockValueType Type, Block Block, int Index, int Offset);
}
