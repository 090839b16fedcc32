using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Modbus.Driver;

/// <summary>
/// Program <c>fieldbus.modbus-master</c>: a Modbus TCP or RTU master as a driver service, configured
/// by its manifest's tables (<see cref="MasterDriverSettings"/>). Each poll group reads on its own
/// period; each input row turns the group's raw registers or bits into an engineering value in a
/// point of its output region, Good with the reply's time as its source timestamp. A timeout, an
/// exception, a broken reply or a link that is down marks the group's points Bad (their last value
/// stays); a group without a good reply for <c>stalePolls</c> of its periods (a slave too slow for
/// the period) reads Uncertain. Outputs are read from the input region and written on change or
/// cyclically; a Bad source point is not written, so a dead controller never drives the slave.
/// Event-driven: it holds no cyclic task, and everything runs on its loop, allocation-free once started.
/// </summary>
public sealed class ModbusMasterDriver : IService
{
    private ModbusMaster? master;
    private Outputs? outputs;
    private Freshness? freshness;

    /// <summary>The engine, once started: its counters and link, for tools and tests.</summary>
    public ModbusMaster? Master => master;

    /// <summary>Output writes that failed (timeout, exception, link down), since start.</summary>
    public long OutputFailures => outputs?.Failures ?? 0;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = MasterDriverSettings.From(context.ServiceId, context.Parameters);
        var streams = ServiceStreams.For(context, settings.Device);
        var rtu = streams.Address.Scheme == Kernel.Devices.DeviceScheme.ModbusRtu;
        var loop = new ServiceModbusLoop(context);
        var engine = new ModbusMaster(streams, streams.Address, loop, new ModbusMasterOptions
        {
            TimeoutNs = settings.TimeoutNs,
            Retries = settings.Retries,
            PipelineDepth = rtu ? 1 : settings.Pipeline,
            ReconnectDelayNsMin = settings.ReconnectInitialNs,
            ReconnectDelayNsMax = settings.ReconnectMaxNs,
            QueueCapacity = QueueCapacity(settings),
        });
        var defaultUnit = (byte)streams.Address.Unit;
        byte Unit(int unit) => unit == MasterDriverSettings.DeviceUnit ? defaultUnit : (byte)unit;
        var writer = settings.Inputs.Length > 0 ? context.OpenRegionWriter(settings.OutputRegion) : null;
        var groups = new Inputs[settings.Polls.Length];
        for (var i = 0; i < settings.Polls.Length; i++)
        {
            var poll = settings.Polls[i];
            var rows = settings.Inputs.Where(input => input.Poll == i).Select(input => (input, ServiceSettings.PointIndex(context, writer!.Region, $"tables.inputs.{input.Point}", input.Point))).ToArray();
            groups[i] = new Inputs(writer, rows);
            groups[i].Group = engine.AddPollGroup(new PollGroupSpec(Unit(poll.Unit), poll.Table, poll.Address, poll.Count, poll.PeriodNs, settings.StalePolls), groups[i]);
        }

        if (settings.Outputs.Length > 0)
        {
            var reader = context.OpenRegionReader(settings.InputRegion);
            var rows = settings.Outputs.Select(o => new Output(o, ServiceSettings.PointIndex(context, reader.Region, $"tables.outputs.{o.Point}", o.Point), Unit(o.Unit))).ToArray();
            var state = new Outputs(engine, reader, rows);
            state.Timer = context.CreateTimer(state);
            var periodNs = rows.Min(r => r.Setting.PeriodNs);
            state.Timer.ArmPeriodic(periodNs, context.Clock.NowNs + periodNs);
            outputs = state;
        }

        if (settings.Polls.Length > 0)
        {
            freshness = new Freshness(groups, settings.StalePolls);
            freshness.Timer = context.CreateTimer(freshness);
            var periodNs = settings.Polls.Min(p => p.PeriodNs);
            freshness.Timer.ArmPeriodic(periodNs, context.Clock.NowNs + periodNs);
        }

        master = engine;
        engine.Start();
    }

    /// <summary>
    /// One request slot per poll group and output row (each has at most one in flight) and two to
    /// spare, within the 64 timers a service may make: one per slot, one per group, the engine's
    /// reconnect and RTU timers, and this driver's freshness and output timers.
    /// </summary>
    internal static int QueueCapacity(MasterDriverSettings settings)
    {
        const int TimersOfEngineAndDriver = 3 + 2;
        var room = ServiceTimers.PerInstanceMax - TimersOfEngineAndDriver - settings.Polls.Length;
        return Math.Clamp(settings.Polls.Length + settings.Outputs.Length + 2, 1, room);
    }

    public void Stop()
    {
        freshness?.Timer?.Cancel();
        outputs?.Timer?.Cancel();
        master?.Dispose();
        master = null;
        outputs = null;
        freshness = null;
    }

    /// <summary>The input rows of one poll group, written into the output region after each poll.</summary>
    private sealed class Inputs(RegionWriter? writer, (InputSetting Setting, int Point)[] rows) : IPollHandler
    {
        public ModbusPollGroup? Group { get; set; }

        /// <summary>When the last good reply came; the freshness check marks the points Uncertain when it is too long ago.</summary>
        public long LastGoodNs { get; private set; }

        public Quality Quality { get; private set; } = Quality.Bad;

        public void OnPoll(ModbusPollGroup group, in PollResult result)
        {
            if (result.Status == ModbusStatus.Good)
            {
                LastGoodNs = result.CompletedNs;
                Write(group, Quality.Good, result.CompletedNs);
            }
            else if (Quality != Quality.Bad)
            {
                Write(group, Quality.Bad, result.CompletedNs);
            }
        }

        /// <summary>Marks the points Uncertain: no good reply for too long, though none failed.</summary>
        public void MarkStale(long nowNs)
        {
            if (Group is { } group)
            {
                Write(group, Quality.Uncertain, nowNs);
            }
        }

        private void Write(ModbusPollGroup group, Quality quality, long timestampNs)
        {
            Quality = quality;
            if (rows.Length == 0)
            {
                return;
            }

            var bits = ModbusTables.IsBits(group.Spec.Table);
            foreach (var (setting, point) in rows)
            {
                var raw = bits
                    ? (group.Bits[setting.Index] ? 1.0 : 0.0)
                    : ModbusValueTypes.Decode(group.Registers[setting.Index..], setting.Type, setting.Order, setting.Bit);
                writer!.Set(point, (raw * setting.Scale) + setting.Offset, quality, timestampNs);
            }

            writer!.Publish();
        }
    }

    /// <summary>Marks a group's points Uncertain when its last good reply is older than <c>stalePolls</c> of its periods.</summary>
    private sealed class Freshness(Inputs[] groups, int stalePolls) : ITimerCallback
    {
        public IServiceTimer? Timer { get; set; }

        public void OnTimer(long nowNs)
        {
            foreach (var inputs in groups)
            {
                if (inputs.Group is { } group && inputs.Quality == Quality.Good && nowNs - inputs.LastGoodNs > stalePolls * group.PeriodNs)
                {
                    inputs.MarkStale(nowNs);
                }
            }
        }
    }

    /// <summary>One output row with what was last written, so an on-change output is sent only when its raw value changes.</summary>
    private sealed class Output(OutputSetting setting, int point, byte unit)
    {
        public OutputSetting Setting { get; } = setting;

        public int Point { get; } = point;

        public byte Unit { get; } = unit;

        /// <summary>The raw registers to send (one for a coil or a bit, up to four for a float64).</summary>
        public ushort[] Raw { get; } = new ushort[4];

        public ushort[] Written { get; } = new ushort[4];

        public byte[] Data { get; } = new byte[8];

        public bool WrittenOk { get; set; }

        public bool Pending { get; set; }

        public long NextDueNs { get; set; }
    }

    /// <summary>
    /// The output rows: on each tick of the fastest output period, every row whose period is due
    /// reads its point and, if it is not Bad and (cyclic, or its raw value changed, or the last write
    /// failed), is written. One request per row in flight at a time; the row index travels as the tag.
    /// </summary>
    private sealed class Outputs(ModbusMaster master, RegionReader reader, Output[] rows) : ITimerCallback, IModbusCompletion
    {
        private readonly RegionSnapshot snapshot = reader.CreateSnapshot();

        public IServiceTimer? Timer { get; set; }

        public long Failures { get; private set; }

        public void OnTimer(long nowNs)
        {
            if (!reader.TryRead(snapshot))
            {
                return;
            }

            for (var i = 0; i < rows.Length; i++)
            {
                var row = rows[i];
                if (row.Pending || nowNs < row.NextDueNs)
                {
                    continue;
                }

                row.NextDueNs = nowNs + row.Setting.PeriodNs - (row.Setting.PeriodNs / 10);
                if (snapshot.Quality(row.Point) != Quality.Bad)
                {
                    Send(i, row, snapshot.Value(row.Point));
                }
            }
        }

        public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
        {
            var row = rows[(int)result.Tag];
            row.Pending = false;
            row.WrittenOk = result.Status == ModbusStatus.Good;
            if (row.WrittenOk)
            {
                row.Raw.AsSpan().CopyTo(row.Written);
            }
            else
            {
                Failures++;
            }
        }

        private void Send(int index, Output row, double value)
        {
            var setting = row.Setting;
            var raw = (value - setting.Offset) / setting.Scale;
            var words = ModbusTables.IsBits(setting.Table) || setting.Type == ModbusValueType.Bit ? 1 : ModbusValueTypes.Registers(setting.Type);
            row.Raw.AsSpan().Clear();
            if (ModbusValueTypes.Encode(raw, setting.Type, setting.Order, row.Raw, setting.Bit) == EncodeOutcome.NotFinite)
            {
                return;
            }

            if (setting.Mode == OutputMode.OnChange && row.WrittenOk && row.Raw.AsSpan(0, words).SequenceEqual(row.Written.AsSpan(0, words)))
            {
                return;
            }

            var request = Request(setting, row.Raw, words);
            var data = ReadOnlySpan<byte>.Empty;
            if (request.Function == FunctionCode.WriteMultipleRegisters)
            {
                ModbusValues.WriteRegisters(row.Raw.AsSpan(0, words), row.Data);
                data = row.Data.AsSpan(0, 2 * words);
            }

            if (master.Submit(row.Unit, request, data, this, index) == SubmitResult.Queued)
            {
                row.Pending = true;
            }
            else
            {
                row.WrittenOk = false;
                Failures++;
            }
        }

        /// <summary>FC05 for a coil, FC22 for a bit of a register, FC06 for one register, FC16 for more.</summary>
        private static ModbusRequest Request(OutputSetting setting, ushort[] raw, int words)
        {
            if (ModbusTables.IsBits(setting.Table))
            {
                return ModbusRequest.WriteSingleCoil(setting.Address, (raw[0] & 1) != 0);
            }

            if (setting.Type == ModbusValueType.Bit)
            {
                var mask = (ushort)(1 << setting.Bit);
                return ModbusRequest.MaskWriteRegister(setting.Address, (ushort)~mask, (ushort)(raw[0] & mask));
            }

            return words == 1
                ? ModbusRequest.WriteSingleRegister(setting.Address, raw[0])
                : ModbusRequest.WriteMultipleRegisters(setting.Address, (ushort)words);
        }
    }
}
