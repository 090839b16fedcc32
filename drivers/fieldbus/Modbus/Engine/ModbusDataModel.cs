using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// What a slave serves: the four tables, addressed from 0 as on the wire. The slave asks
/// <see cref="Contains"/> before every read or write and answers exception 02 when it is false, so
/// an implementation only moves bytes for ranges it said it holds. A driver service binds one to
/// its process image; <see cref="ModbusRegisterMap"/> is the plain in-memory one. All calls come
/// from the slave's loop, one at a time, and must not allocate.
/// </summary>
public interface IModbusDataModel
{
    /// <summary>True when every address of <c>[address, address + count)</c> exists in <paramref name="table"/>.</summary>
    bool Contains(ModbusTable table, int address, int count);

    /// <summary>
    /// True when masters may write every address of the range (a write elsewhere answers 02). By
    /// default whatever exists: a model that serves some coils or registers read-only says so here.
    /// </summary>
    bool IsWritable(ModbusTable table, int address, int count) => Contains(table, address, count);

    /// <summary>Packs <paramref name="count"/> bits of a bit table into <paramref name="packed"/>, LSB first, padding bits zero.</summary>
    void ReadBits(ModbusTable table, int address, int count, Span<byte> packed);

    /// <summary>Writes <paramref name="count"/> registers of a register table into <paramref name="bigEndian"/>.</summary>
    void ReadRegisters(ModbusTable table, int address, int count, Span<byte> bigEndian);

    /// <summary>Sets <paramref name="count"/> coils from packed bits, LSB first.</summary>
    void WriteCoils(int address, int count, ReadOnlySpan<byte> packed);

    /// <summary>Sets <paramref name="count"/> holding registers from big-endian words.</summary>
    void WriteHoldingRegisters(int address, int count, ReadOnlySpan<byte> bigEndian);
}

/// <summary>
/// A plain read-write map: each table holds its own number of zero-based points, zero at start.
/// What <c>neokernel modbus serve</c> and the tests serve. Bits are kept one per byte and registers
/// as words, so a read or write is a loop over a slice and allocates nothing.
/// </summary>
public sealed class ModbusRegisterMap : IModbusDataModel
{
    /// <summary>A table holds at most the 65,536 addresses the protocol can name.</summary>
    public const int PointsMax = 0x10000;

    private readonly bool[] coils;
    private readonly bool[] discreteInputs;
    private readonly ushort[] holdingRegisters;
    private readonly ushort[] inputRegisters;

    /// <summary>A map with <paramref name="pointsPerTable"/> points in each of the four tables.</summary>
    public ModbusRegisterMap(int pointsPerTable)
        : this(pointsPerTable, pointsPerTable, pointsPerTable, pointsPerTable)
    {
    }

    public ModbusRegisterMap(int coilCount, int discreteInputCount, int holdingRegisterCount, int inputRegisterCount)
    {
        coils = new bool[RequirePoints(coilCount, nameof(coilCount))];
        discreteInputs = new bool[RequirePoints(discreteInputCount, nameof(discreteInputCount))];
        holdingRegisters = new ushort[RequirePoints(holdingRegisterCount, nameof(holdingRegisterCount))];
        inputRegisters = new ushort[RequirePoints(inputRegisterCount, nameof(inputRegisterCount))];
    }

    /// <summary>Points in <paramref name="table"/>.</summary>
    public int Count(ModbusTable table) => table switch
    {
        ModbusTable.Coils => coils.Length,
        ModbusTable.DiscreteInputs => discreteInputs.Length,
        ModbusTable.HoldingRegisters => holdingRegisters.Length,
        _ => inputRegisters.Length,
    };

    public bool Contains(ModbusTable table, int address, int count) =>
        count >= 1 && address >= 0 && (long)address + count <= Count(table);

    public bool Coil(int address) => coils[address];

    public void SetCoil(int address, bool on) => coils[address] = on;

    public bool DiscreteInput(int address) => discreteInputs[address];

    public void SetDiscreteInput(int address, bool on) => discreteInputs[address] = on;

    public ushort HoldingRegister(int address) => holdingRegisters[address];

    public void SetHoldingRegister(int address, ushort value) => holdingRegisters[address] = value;

    public ushort InputRegister(int address) => inputRegisters[address];

    public void SetInputRegister(int address, ushort value) => inputRegisters[address] = value;

    public void ReadBits(ModbusTable table, int address, int count, Span<byte> packed)
    {
        var bits = table == ModbusTable.Coils ? coils : table == ModbusTable.DiscreteInputs ? discreteInputs : throw NotA("bit", table);
        var source = bits.AsSpan(address, count);
        packed[..PduChecks.BitBytes(count)].Clear();
        for (var index = 0; index < source.Length; index++)
        {
            if (source[index])
            {
                packed[index >> 3] |= (byte)(1 << (index & 7));
            }
        }
    }

    public void ReadRegisters(ModbusTable table, int address, int count, Span<byte> bigEndian)
    {
        var words = table == ModbusTable.HoldingRegisters ? holdingRegisters : table == ModbusTable.InputRegisters ? inputRegisters : throw NotA("register", table);
        var source = words.AsSpan(address, count);
        for (var index = 0; index < source.Length; index++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bigEndian[(2 * index)..], source[index]);
        }
    }

    public void WriteCoils(int address, int count, ReadOnlySpan<byte> packed)
    {
        var target = coils.AsSpan(address, count);
        for (var index = 0; index < target.Length; index++)
        {
            target[index] = (packed[index >> 3] & (1 << (index & 7))) != 0;
        }
    }

    public void WriteHoldingRegisters(int address, int count, ReadOnlySpan<byte> bigEndian)
    {
        var target = holdingRegisters.AsSpan(address, count);
        for (var index = 0; index < target.Length; index++)
        {
            target[index] = BinaryPrimitives.ReadUInt16BigEndian(bigEndian[(2 * index)..]);
        }
    }

    private static int RequirePoints(int count, string name) =>
        count is >= 0 and <= PointsMax ? count : throw new ArgumentOutOfRangeException(name, count, $"a table holds 0..{PointsMax} points");

    private static ArgumentException NotA(string kind, ModbusTable table) => new($"{table} is not a {kind} table", nameof(table));
}
