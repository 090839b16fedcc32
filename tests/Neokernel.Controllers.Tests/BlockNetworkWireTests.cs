using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Neokernel.Controllers.Blocks;

namespace Neokernel.Controllers.Tests;

/// <summary>
/// The two decoders of a block network's operator side, on bytes from outside: its commands (from
/// any client of its endpoint) and its retain record (from a file). Any bytes give an answer, never
/// an exception; what was encoded decodes to itself.
/// </summary>
public sealed class BlockNetworkWireTests
{
    private static Gen<string> Names() =>
        from length in Gen.Choose(1, BlockNetworkCommands.NameBytesMax)
        from chars in Gen.Elements("abcXYZ_.09-".ToCharArray()).ArrayOf(length)
        select new string(chars);

    [Fact]
    public void Commands_round_trip_any_name_and_value()
    {
        Prop.ForAll(Names().ToArbitrary(), ArbMap.Default.ArbFor<double>(), (name, value) =>
        {
            var message = new byte[BlockNetworkCommands.MessageBytesMax];
            var length = BlockNetworkCommands.EncodeSetValue(name, value, message);
            var status = BlockNetworkCommands.Decode(message.AsSpan(0, length), out var kind, out var decoded, out var decodedValue);
            return status == CommandStatus.Ok && kind == BlockNetworkCommandKind.SetValue && Encoding.UTF8.GetString(decoded) == name
                && BitConverter.DoubleToInt64Bits(decodedValue) == BitConverter.DoubleToInt64Bits(value);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Any_bytes_decode_to_an_answer_as_a_command()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            var status = BlockNetworkCommands.Decode(bytes, out _, out var name, out _);
            return status is CommandStatus.Ok or CommandStatus.UnknownCommand or CommandStatus.Malformed
                && (status != CommandStatus.Ok || name.Length is > 0 and <= BlockNetworkCommands.NameBytesMax);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void A_name_too_long_or_empty_is_not_encoded()
    {
        var buffer = new byte[200];
        Assert.Equal(0, BlockNetworkCommands.EncodeGetValue(new string('a', BlockNetworkCommands.NameBytesMax + 1), buffer));
        Assert.Equal(0, BlockNetworkCommands.EncodeSetValue(string.Empty, 1, buffer));
        Assert.Equal(0, BlockNetworkCommands.EncodeSetValue("a.SP", 1, buffer.AsSpan(0, 8)));
        Assert.Equal(2 + 4 + 8, BlockNetworkCommands.EncodeSetValue("a.SP", 1, buffer));
    }

    [Fact]
    public void Any_bytes_decode_to_an_answer_as_a_retain_record()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            var decoded = BlockNetworkRetain.TryDecode(bytes, out var values, out var problem);
            return decoded ? problem.Length == 0 : problem.Length > 0 && values is not null;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));

        // Mostly well formed: a valid header and count, then random bytes.
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Choose(0, 5).ToArbitrary(), (tail, count) =>
        {
            var bytes = new byte[3 + tail.Length];
            bytes[0] = BlockNetworkRetain.LayoutVersion;
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), (ushort)count);
            tail.CopyTo(bytes, 3);
            var decoded = BlockNetworkRetain.TryDecode(bytes, out var values, out var problem);
            return decoded ? values.Count == count : problem.Length > 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void A_retain_record_that_is_not_whole_or_holds_what_its_type_cannot_is_refused_saying_why()
    {
        byte[] good = [.. Record(("a.SP", BlockValueType.Real, BitConverter.DoubleToInt64Bits(60.5)), ("n.CV", BlockValueType.Dint, -4), ("a.MAN", BlockValueType.Bool, 1))];
        Assert.True(BlockNetworkRetain.TryDecode(good, out var values, out var problem), problem);
        Assert.Equal([("a.SP", BlockValueType.Real, BlockValue.Real(60.5)), ("n.CV", BlockValueType.Dint, BlockValue.Dint(-4)), ("a.MAN", BlockValueType.Bool, BlockValue.Bool(true))], values);

        Assert.False(BlockNetworkRetain.TryDecode(good.AsSpan(0, good.Length - 1), out _, out problem));
        Assert.Equal("the record ends inside value 2 of 3", problem);
        Assert.False(BlockNetworkRetain.TryDecode([.. good, 0], out _, out problem));
        Assert.Equal("1 bytes follow the record's 3 values", problem);
        Assert.False(BlockNetworkRetain.TryDecode([2, 0, 0], out _, out problem));
        Assert.Equal("layout version 2, where this build writes 1", problem);
        Assert.False(BlockNetworkRetain.TryDecode([.. Record(("a.MAN", BlockValueType.Bool, 2))], out _, out problem));
        Assert.Equal("value a.MAN holds no valid BOOL", problem);
        Assert.False(BlockNetworkRetain.TryDecode([.. Record(("a.SP", BlockValueType.Real, BitConverter.DoubleToInt64Bits(double.NaN)))], out _, out problem));
        Assert.Equal("value a.SP holds no valid REAL", problem);
        Assert.False(BlockNetworkRetain.TryDecode([.. Record(("a.X", (BlockValueType)9, 0))], out _, out problem));
        Assert.Equal("value a.X holds no valid value of type 9", problem);
    }

    private static IEnumerable<byte> Record(params (string Name, BlockValueType Type, long Raw)[] values)
    {
        yield return BlockNetworkRetain.LayoutVersion;
        yield return (byte)values.Length;
        yield return 0;
        foreach (var (name, type, raw) in values)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            yield return (byte)bytes.Length;
            foreach (var b in bytes)
            {
                yield return b;
            }

            yield return (byte)type;
            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, raw);
            foreach (var b in value)
            {
                yield return b;
            }
        }
    }
}
