using Neokernel.Kernel.Platform;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// One range of one table of one unit, read every <see cref="PeriodNs"/>. <see cref="StaleAfterMisses"/>
/// polls in a row without a good reply make the group stale, so a driver can mark its points so.
/// </summary>
public readonly record struct PollGroupSpec(byte Unit, ModbusTable Table, ushort Address, ushort Count, long PeriodNs, int StaleAfterMisses = 3)
{
    public const long PeriodNsMin = 1_000_000;
    public const int StaleAfterMissesMax = 1_000;

    public void Validate()
    {
        if (Count < 1 || Count > ModbusTables.ReadCountMax(Table) || Address + Count > 65_536)
        {
            throw new ArgumentException($"poll group unit {Unit} {Table} {Address}+{Count}: the count must be 1..{ModbusTables.ReadCountMax(Table)} and the range must end by address 65535");
        }

        if (PeriodNs < PeriodNsMin || StaleAfterMisses < 1 || StaleAfterMisses > StaleAfterMissesMax)
        {
            throw new ArgumentException($"poll group unit {Unit} {Table} {Address}+{Count}: the period must be at least 1 ms and StaleAfterMisses 1..{StaleAfterMissesMax}");
        }

        if (Unit == ModbusLimits.BroadcastUnit)
        {
            throw new ArgumentException("a poll group cannot read from unit 0: a broadcast gets no reply");
        }
    }
}

/// <summary>The outcome of one poll: its status, and how many polls in a row have missed.</summary>
public readonly record struct PollResult(ModbusStatus Status, ExceptionCode Exception, ModbusError Error, int MissedInARow, bool Stale, long CompletedNs);

/// <summary>Called on the loop after each poll of a group; the values are in <see cref="ModbusPollGroup.Registers"/> or <see cref="ModbusPollGroup.Bits"/>.</summary>
public interface IPollHandler
{
    void OnPoll(ModbusPollGroup group, in PollResult result);
}

/// <summary>
/// A poll group of a <see cref="ModbusMaster"/>: its own timer, fixed-rate (the next poll is due a
/// period after the previous due time, not after the reply), and its own value buffers that hold
/// the last good reply. A poll still pending when the next is due is not doubled: the due poll is
/// skipped and counted in <see cref="Overruns"/>, which says the period is shorter than the slave's
/// round trip.
/// </summary>
public sealed class ModbusPollGroup : ITimerCallback, IModbusCompletion
{
    private readonly ModbusMaster master;
    private readonly IModbusLoop loop;
    private readonly IPollHandler handler;
    private readonly IPlatformTimer timer;
    private readonly ModbusRequest request;
    private readonly ushort[] registers;
    private readonly bool[] bits;
    private long nextDueNs;
    private bool pending;
    private bool running;

    internal ModbusPollGroup(ModbusMaster master, IModbusLoop loop, in PollGroupSpec spec, IPollHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        spec.Validate();
        this.master = master;
        this.loop = loop;
        this.handler = handler;
        Spec = spec;
        request = ModbusTables.Read(spec.Table, spec.Address, spec.Count);
        registers = ModbusTables.IsBits(spec.Table) ? [] : new ushort[spec.Count];
        bits = ModbusTables.IsBits(spec.Table) ? new bool[spec.Count] : [];
        timer = loop.CreateTimer(this);
    }

    public PollGroupSpec Spec { get; }

    public long PeriodNs => Spec.PeriodNs;

    /// <summary>The registers of the last good poll (holding or input tables); empty for bit tables.</summary>
    public ReadOnlySpan<ushort> Registers => registers;

    /// <summary>The bits of the last good poll (coils or discrete inputs); empty for register tables.</summary>
    public ReadOnlySpan<bool> Bits => bits;

    public long Polls { get; private set; }

    public long Good { get; private set; }

    public long Overruns { get; private set; }

    public int MissedInARow { get; private set; }

    public bool IsStale => MissedInARow >= Spec.StaleAfterMisses;

    /// <summary>The status of the last poll that completed.</summary>
    public ModbusStatus LastStatus { get; private set; } = ModbusStatus.LinkDown;

    internal void Start()
    {
        running = true;
        nextDueNs = loop.Clock.NowNs;
        timer.ArmAt(nextDueNs);
    }

    internal void Stop()
    {
        running = false;
        timer.Cancel();
    }

    public void OnTimer(long nowNs)
    {
        if (!running)
        {
            return;
        }

        nextDueNs += Spec.PeriodNs;
        if (nextDueNs <= nowNs)
        {
            // The loop fell behind by more than a period: resume from now rather than fire a burst.
            nextDueNs = nowNs + Spec.PeriodNs;
        }

        timer.ArmAt(nextDueNs);
        if (pending)
        {
            Overruns++;
            return;
        }

        Polls++;
        var submitted = master.Submit(Spec.Unit, request, default, this);
        if (submitted == SubmitResult.Queued)
        {
            pending = true;
            return;
        }

        Report(submitted == SubmitResult.LinkDown ? ModbusStatus.LinkDown : ModbusStatus.QueueFull, ExceptionCode.None, ModbusError.None, nowNs);
    }

    public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
    {
        pending = false;
        if (result.Status == ModbusStatus.Good)
        {
            if (ModbusTables.IsBits(Spec.Table))
            {
                ModbusValues.ReadBits(data, bits);
            }
            else
            {
                ModbusValues.ReadRegisters(data, registers);
            }
        }

        Report(result.Status, result.Exception, result.Error, loop.Clock.NowNs);
    }

    private void Report(ModbusStatus status, ExceptionCode exception, ModbusError error, long nowNs)
    {
        LastStatus = status;
        if (status == ModbusStatus.Good)
        {
            Good++;
            MissedInARow = 0;
        }
        else
        {
            MissedInARow = Math.Min(MissedInARow + 1, int.MaxValue - 1);
        }

        if (running)
        {
            handler.OnPoll(this, new PollResult(status, exception, error, MissedInARow, IsStale, nowNs));
        }
    }
}
