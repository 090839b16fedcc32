using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Modbus.Driver;

/// <summary>
/// Program <c>fieldbus.modbus-slave</c>: a Modbus TCP or RTU slave whose tables are points of the
/// process image, declared in its manifest's <c>map</c> (<see cref="SlaveDriverSettings"/>). Read rows
/// are copied from the served region every <c>refreshUs</c> (raw = (value − offset) ÷ scale, rounded
/// and clamped to the type); write rows land in the written region as soon as a master writes them
/// (value = raw × scale + offset, Good, the write's time as source timestamp). An address the map
/// does not name answers exception 02, and so does a write to a read row. Modbus carries no quality:
/// a Bad point is served with its last value, so a SCADA that needs quality reads it over OPC UA.
/// Event-driven, allocation-free once started.
/// </summary>
public sealed class ModbusSlaveDriver : IService, IDisposable
{
    private ModbusTcpSlave? tcp;
    private ModbusRtuSlave? rtu;
    private IServiceTimer? refreshTimer;

    /// <summary>The slave's counters, once started.</summary>
    public ModbusSlaveCounters? Counters { get; private set; }

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = SlaveDriverSettings.From(context.ServiceId, context.Parameters);
        var streams = ServiceStreams.For(context, settings.Device);
        var writer = settings.Map.Any(m => !m.Served) ? context.OpenRegionWriter(settings.WrittenRegion) : null;
        var reader = settings.Map.Any(m => m.Served) ? context.OpenRegionReader(settings.ServedRegion) : null;
        var model = new MappedModel(context, settings, writer, reader);
        var slave = new ModbusSlave(model, new ModbusDeviceIdentity("Neokernel", context.ServiceId, "1.0"));
        Counters = slave.Counters;
        var loop = new ServiceModbusLoop(context);
        if (reader is not null)
        {
            model.Refresh();
            refreshTimer = context.CreateTimer(model);
            refreshTimer.ArmPeriodic(settings.RefreshNs, context.Clock.NowNs + settings.RefreshNs);
        }

        if (streams.Address.Transport == DeviceTransport.TcpListen)
        {
            tcp = new ModbusTcpSlave(slave, streams, streams.Address, loop, settings.IdleTimeoutNs, settings.Unit);
            tcp.Start();
        }
        else
        {
            rtu = new ModbusRtuSlave(slave, streams, streams.Address, loop, (byte)settings.Unit);
            rtu.Start();
        }
    }

    public void Stop()
    {
        refreshTimer?.Cancel();
        tcp?.Dispose();
        rtu?.Dispose();
        tcp = null;
        rtu = null;
    }

    public void Dispose() => Stop();

    /// <summary>
    /// The four tables as the map lays them out: an in-memory map as large as the highest mapped
    /// address, and per table which addresses are mapped and which masters may write.
    /// </summary>
    private sealed class MappedModel : IModbusDataModel, ITimerCallback
    {
        private readonly IServiceContext context;
        private readonly ModbusRegisterMap map;
        private readonly bool[][] mapped = new bool[4][];
        private readonly bool[][] writable = new bool[4][];
        private readonly (MapSetting Setting, int Point)[] served;
        private readonly (MapSetting Setting, int Point)[] written;
        private readonly RegionWriter? writer;
        private readonly RegionReader? reader;
        private readonly RegionSnapshot? snapshot;
        private readonly ushort[] words = new ushort[4];

        public MappedModel(IServiceContext context, SlaveDriverSettings settings, RegionWriter? writer, RegionReader? reader)
        {
            this.context = context;
            this.writer = writer;
            this.reader = reader;
            snapshot = reader?.CreateSnapshot();
            for (var table = 0; table < 4; table++)
            {
                var size = settings.Map.Where(m => (int)m.Table == table).Select(m => m.Address + m.Width).DefaultIfEmpty(0).Max();
                mapped[table] = new bool[size];
                writable[table] = new bool[size];
            }

            foreach (var setting in settings.Map)
            {
                for (var r = 0; r < setting.Width; r++)
                {
                    mapped[(int)setting.Table][setting.Address + r] = true;
                    writable[(int)setting.Table][setting.Address + r] = !setting.Served;
                }
            }

            map = new ModbusRegisterMap(mapped[0].Length, mapped[1].Length, mapped[2].Length, mapped[3].Length);
            served = [.. settings.Map.Where(m => m.Served).Select(m => (m, ServiceSettings.PointIndex(context, reader!.Region, $"tables.map.{m.Point}", m.Point)))];
            written = [.. settings.Map.Where(m => !m.Served).Select(m => (m, ServiceSettings.PointIndex(context, writer!.Region, $"tables.map.{m.Point}", m.Point)))];
        }

        public bool Contains(ModbusTable table, int address, int count) => All(mapped[(int)table], address, count);

        public bool IsWritable(ModbusTable table, int address, int count) => All(writable[(int)table], address, count);

        public void ReadBits(ModbusTable table, int address, int count, Span<byte> packed) => map.ReadBits(table, address, count, packed);

        public void ReadRegisters(ModbusTable table, int address, int count, Span<byte> bigEndian) => map.ReadRegisters(table, address, count, bigEndian);

        public void WriteCoils(int address, int count, ReadOnlySpan<byte> packed)
        {
            map.WriteCoils(address, count, packed);
            Publish(ModbusTable.Coils, address, count);
        }

        public void WriteHoldingRegisters(int address, int count, ReadOnlySpan<byte> bigEndian)
        {
            map.WriteHoldingRegisters(address, count, bigEndian);
            Publish(ModbusTable.HoldingRegisters, address, count);
        }

        public void OnTimer(long nowNs) => Refresh();

        /// <summary>The served region's points into the tables.</summary>
        public void Refresh()
        {
            if (reader is null || !reader.TryRead(snapshot!))
            {
                return;
            }

            foreach (var (setting, point) in served)
            {
                var raw = (snapshot!.Value(point) - setting.Offset) / setting.Scale;
                switch (setting.Table)
                {
                    case ModbusTable.Coils:
                        map.SetCoil(setting.Address, raw >= 0.5);
                        break;
                    case ModbusTable.DiscreteInputs:
                        map.SetDiscreteInput(setting.Address, raw >= 0.5);
                        break;
                    default:
                        Encode(setting, raw);
                        break;
                }
            }
        }

        private void Encode(MapSetting setting, double raw)
        {
            var holding = setting.Table == ModbusTable.HoldingRegisters;
            for (var r = 0; r < setting.Width; r++)
            {
                words[r] = holding ? map.HoldingRegister(setting.Address + r) : map.InputRegister(setting.Address + r);
            }

            if (ModbusValueTypes.Encode(raw, setting.Type, setting.Order, words, setting.Bit) == EncodeOutcome.NotFinite)
            {
                return;
            }

            for (var r = 0; r < setting.Width; r++)
            {
                if (holding)
                {
                    map.SetHoldingRegister(setting.Address + r, words[r]);
                }
                else
                {
                    map.SetInputRegister(setting.Address + r, words[r]);
                }
            }
        }

        /// <summary>The write rows a master's write touched, into the written region at once.</summary>
        private void Publish(ModbusTable table, int address, int count)
        {
            if (writer is null)
            {
                return;
            }

            var nowNs = context.Clock.NowNs;
            var any = false;
            foreach (var (setting, point) in written)
            {
                if (setting.Table != table || setting.Address + setting.Width <= address || setting.Address >= address + count)
                {
                    continue;
                }

                double raw;
                if (table == ModbusTable.Coils)
                {
                    raw = map.Coil(setting.Address) ? 1 : 0;
                }
                else
                {
                    for (var r = 0; r < setting.Width; r++)
                    {
                        words[r] = map.HoldingRegister(setting.Address + r);
                    }

                    raw = ModbusValueTypes.Decode(words, setting.Type, setting.Order, setting.Bit);
                }

                writer.Set(point, (raw * setting.Scale) + setting.Offset, Quality.Good, nowNs);
                any = true;
            }

            if (any)
            {
                writer.Publish();
            }
        }

        private static bool All(bool[] flags, int address, int count)
        {
            if (address < 0 || count < 0 || address + count > flags.Length)
            {
                return false;
            }

            foreach (var flag in flags.AsSpan(address, count))
            {
                if (!flag)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
