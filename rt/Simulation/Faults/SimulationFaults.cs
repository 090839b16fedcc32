using System.Buffers.Binary;
using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Cyclic;
using Neokernel.Rt.Faults;

namespace Neokernel.Rt.Simulation.Faults;

/// <summary>
/// A fault schedule acting at the simulation platform's seams: the executor (hang, overrun),
/// device channels (sensor and actuator faults), the virtual network's connections to Modbus
/// slaves (Modbus faults), each service's view of the clock (clock jump), the host (crash, memory
/// exhaustion, through the kernel's fault path), endpoints' message queues (IPC faults,
/// <c>SimulationFaults.Ipc.cs</c>) and regions' publishes (region faults,
/// <c>SimulationFaults.Regions.cs</c>). One platform timer walks the schedule's starts and ends in
/// time order; each start is a <c>fault-inject</c> trace event. Noise, garbling, the chance of a
/// lost or doubled message and which bytes are corrupted draw from the seed's own <c>faults</c>
/// stream, never from a service's.
/// <para>
/// The same seams serve live injection on the paced real-time platform
/// (<see cref="ForLiveInjection"/>): every device channel and Modbus connection is opened through
/// them, with nothing in effect, and <see cref="InjectNow"/> strikes a fault at the loop's present
/// time, as <c>neokernel fault inject</c> asks of a running system.
/// </para>
/// </summary>
public sealed partial class SimulationFaults : ICycleFaults, ITimerCallback
{
    private readonly List<FaultInjection> injections;

    /// <summary>What each injection acts under in <see cref="activeByTarget"/>: its target, or for a Modbus fault its slave's address.</summary>
    private readonly List<string> keys;

    /// <summary>Live: every device and Modbus connection is wrapped, as any may be struck later.</summary>
    private readonly bool live;
    private readonly (long TimeNs, int Index, bool Start)[] steps;
    private readonly DeterministicRandom random;
    private readonly Dictionary<string, List<int>> activeByTarget = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClockOffset> offsets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceFaultState> devices = new(StringComparer.Ordinal);
    private readonly List<double> stuckValues;
    private readonly long[] injectedByKind = new long[FaultCatalog.KindNumberEnd];
    private int nextStep;
    private IPlatform? platform;
    private SystemKernel? kernel;
    private IPlatformTimer? timer;

    public SimulationFaults(FaultSchedule schedule, ulong seed)
        : this(schedule, seed, live: false)
    {
    }

    private SimulationFaults(FaultSchedule schedule, ulong seed, bool live)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Schedule = schedule;
        this.live = live;
        injections = [.. schedule.Injections];
        stuckValues = [.. new double[injections.Count]];
        keys = [];
        random = new DeterministicRandom(seed).Fork("faults");
        var list = new List<(long, int, bool)>(injections.Count * 2);
        for (var i = 0; i < injections.Count; i++)
        {
            var injection = injections[i];
            keys.Add(injection.Descriptor.Target == FaultTargetKind.ModbusSlave ? ModbusKey(injection.Target) : injection.Target);
            list.Add((injection.AtNs, i, true));
            if (injection.Descriptor.Lasts)
            {
                list.Add((injection.EndNs, i, false));
            }

            switch (injection.Descriptor.Target)
            {
                case FaultTargetKind.Service when injection.Kind == FaultKind.ClockJump:
                    offsets.TryAdd(injection.Target, new ClockOffset());
                    break;
                case FaultTargetKind.DeviceRead or FaultTargetKind.DeviceWrite:
                    devices.TryAdd(injection.Target, new DeviceFaultState());
                    break;
                case FaultTargetKind.Endpoint:
                    endpointTargets.Add(injection.Target);
                    break;
                case FaultTargetKind.Region:
                    regionTargets.Add(injection.Target);
                    break;
            }

            if (!activeByTarget.TryGetValue(keys[i], out var active))
            {
                active = [];
                activeByTarget.Add(keys[i], active);
            }

            if (injection.Descriptor.Target == FaultTargetKind.ModbusSlave)
            {
                AddModbusLink(keys[i], active);
            }
        }

        // Ends before starts at the same time (a fault that ends as the next begins), then schedule order.
        steps = [.. list.OrderBy(s => s.Item1).ThenBy(s => s.Item3).ThenBy(s => s.Item2)];
    }

    /// <summary>
    /// Faults for a running system on the paced platform: no schedule; every device channel and
    /// Modbus TCP connection opened through <see cref="Wrap(IDeviceProvider)"/> and
    /// <see cref="WrapStreams"/> can be struck by <see cref="InjectNow"/>.
    /// </summary>
    public static SimulationFaults ForLiveInjection(ulong seed) => new(FaultSchedule.Empty, seed, live: true);

    /// <summary>The kinds <see cref="InjectNow"/> strikes: those that act on a device channel or a Modbus connection.</summary>
    public static bool StrikesLive(FaultKind kind) =>
        FaultCatalog.Of(kind).Target is FaultTargetKind.DeviceRead or FaultTargetKind.DeviceWrite or FaultTargetKind.ModbusSlave;

    public FaultSchedule Schedule { get; }

    /// <summary>Injections that struck so far.</summary>
    public long Injected { get; private set; }

    /// <summary>Injections that struck so far, by kind.</summary>
    public long InjectedOf(FaultKind kind) => injectedByKind[(int)kind];

    /// <summary>Injections that were due but found nothing to strike (a crash of a service already failed).</summary>
    public long Missed { get; private set; }

    /// <summary>The device provider services open through: channels of targeted devices carry their faults.</summary>
    public IDeviceProvider Wrap(IDeviceProvider inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return devices.Count == 0 && !live ? inner : new FaultingDevices(inner, this);
    }

    /// <summary>The clock <paramref name="serviceId"/> sees: <paramref name="clock"/>, moved by the clock jumps that struck it.</summary>
    public IClock ClockFor(string serviceId, IClock clock) =>
        offsets.TryGetValue(serviceId, out var offset) ? new JumpedClock(clock, offset) : clock;

    /// <summary>The platform the schedule runs on; from its constructor.</summary>
    internal void Bind(IPlatform on) => platform = on;

    /// <summary>
    /// Live: strikes <paramref name="injection"/> now, on the loop's thread, for its duration from
    /// now (its own time is ignored). Throws <see cref="ArgumentException"/> saying why it cannot:
    /// a kind that does not act on a device or Modbus connection, or a target this process never opened.
    /// </summary>
    public void InjectNow(FaultInjection injection)
    {
        if (!live || platform is null)
        {
            throw new InvalidOperationException("live injection needs faults made by ForLiveInjection and given to their platform");
        }

        if (!StrikesLive(injection.Kind))
        {
            throw new ArgumentException($"'{injection.Descriptor.Word}' does not act on a device channel; only device and Modbus faults are struck in the service's process", nameof(injection));
        }

        var key = injection.Descriptor.Target == FaultTargetKind.ModbusSlave ? ModbusKey(injection.Target) : injection.Target;
        if (!activeByTarget.ContainsKey(key))
        {
            throw new ArgumentException($"'{injection.Target}' is not open in this process: the service holds no channel to it (yet)", nameof(injection));
        }

        var now = injection with { AtNs = platform.Clock.NowNs };
        var index = injections.Count;
        injections.Add(now);
        keys.Add(key);
        stuckValues.Add(0);
        var ending = new LiveEnd(this, index);
        ending.Timer = platform.CreateTimer(ending);
        ending.Timer.ArmAt(now.EndNs);
        Strike(index);
    }

    /// <summary>Arms the schedule on <paramref name="system"/>, before it boots.</summary>
    public void Attach(SystemKernel system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (platform is null || !ReferenceEquals(system.Platform, platform))
        {
            throw new InvalidOperationException("attach the faults to a kernel on the simulation platform they were given to");
        }

        kernel = system;
        ArmSchedule();
    }

    /// <summary>
    /// Runs the schedule on its platform without a kernel: for a bench of the device and Modbus
    /// seams alone (a master and a slave on the virtual network or a serial line). Nothing traces
    /// the injections then. Throws when the schedule holds a fault that needs the kernel.
    /// </summary>
    public void StartWithoutKernel()
    {
        if (platform is null || kernel is not null || timer is not null)
        {
            throw new InvalidOperationException("start the faults once, after giving them to their platform, and only when no kernel is attached");
        }

        foreach (var injection in injections)
        {
            if (!StrikesLive(injection.Kind))
            {
                throw new InvalidOperationException($"{injection}: {injection.Descriptor.Word} acts through the kernel; attach the faults to one instead");
            }
        }

        ArmSchedule();
    }

    private void ArmSchedule()
    {
        if (steps.Length > 0)
        {
            timer = platform!.CreateTimer(this);
            timer.ArmAt(steps[0].TimeNs);
        }
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        while (nextStep < steps.Length && steps[nextStep].TimeNs <= nowNs)
        {
            var (_, index, start) = steps[nextStep++];
            if (start)
            {
                Strike(index);
            }
            else
            {
                activeByTarget[keys[index]].Remove(index);
            }
        }

        if (nextStep < steps.Length)
        {
            timer!.ArmAt(steps[nextStep].TimeNs);
        }
    }

    private void Strike(int index)
    {
        var injection = injections[index];

        // Live, in a service's own process, there is no system kernel: its kernel traces the injection.
        var k = kernel;
        if (k is not null)
        {
            var subject = FaultSchedule.SubjectOf(k.System, injection) is { } holder ? k.Service(holder.Spec.Id).TraceId : 0;
            k.Trace.Record(TraceEventKind.FaultInject, subject, injection.ToString(), 0, (long)injection.Kind);
        }

        var struck = true;
        switch (injection.Kind)
        {
            case FaultKind.Crash:
                struck = k!.InjectFault(injection.Target, "crashed (injected fault)");
                break;
            case FaultKind.MemoryExhaustion:
                struck = k!.InjectFault(injection.Target, "out of memory: killed at its memory limit (injected fault)");
                break;
            case FaultKind.ClockJump:
                offsets[injection.Target].Ns += (long)(injection.Value * 1_000_000);
                break;
            case FaultKind.ModbusDisconnect:
                activeByTarget[keys[index]].Add(index);
                Disconnect(keys[index]);
                break;
            case FaultKind.SensorStuck:
                stuckValues[index] = injection.HasValue ? injection.Value : devices[injection.Target].LastTrue;
                activeByTarget[keys[index]].Add(index);
                break;
            default:
                activeByTarget[keys[index]].Add(index);
                break;
        }

        if (struck)
        {
            Injected++;
            injectedByKind[(int)injection.Kind]++;
        }
        else
        {
            Missed++;
        }
    }

    bool ICycleFaults.IsHung(string serviceId, long taskStartNs, long nowNs)
    {
        if (!activeByTarget.TryGetValue(serviceId, out var active))
        {
            return false;
        }

        foreach (var index in active)
        {
            var injection = injections[index];
            if (injection.Kind == FaultKind.Hang && taskStartNs <= injection.AtNs && injection.ActiveAt(nowNs))
            {
                return true;
            }
        }

        return false;
    }

    long ICycleFaults.ExtraExecutionNs(string serviceId, long nowNs)
    {
        if (!activeByTarget.TryGetValue(serviceId, out var active))
        {
            return 0;
        }

        var extra = 0L;
        foreach (var index in active)
        {
            var injection = injections[index];
            if (injection.Kind == FaultKind.Overrun && injection.ActiveAt(nowNs))
            {
                extra += (long)(injection.Value * 1_000_000);
            }
        }

        return extra;
    }

    /// <summary>A reading as the sensor faults <paramref name="active"/> on its device make it.</summary>
    private double Fault(List<int> active, double reading)
    {
        var nowNs = platform!.Clock.NowNs;
        var value = reading;
        foreach (var index in active)
        {
            var injection = injections[index];
            if (!injection.ActiveAt(nowNs))
            {
                continue;
            }

            switch (injection.Kind)
            {
                case FaultKind.SensorStuck:
                    if (double.IsNaN(stuckValues[index]))
                    {
                        stuckValues[index] = reading;
                    }

                    value = stuckValues[index];
                    break;
                case FaultKind.SensorDrift:
                    value += injection.Value * ((nowNs - injection.AtNs) / 1e9);
                    break;
                case FaultKind.SensorNoise:
                    value += injection.Value * random.NextGaussian();
                    break;
                case FaultKind.SensorOutOfRange:
                    value = injection.HasValue ? injection.Value : FaultCatalog.OutOfRangeDefault;
                    break;
            }
        }

        return value;
    }

    private bool WriteLost(List<int> active)
    {
        var nowNs = platform!.Clock.NowNs;
        foreach (var index in active)
        {
            var injection = injections[index];
            if (injection.Kind == FaultKind.ActuatorStuck && injection.ActiveAt(nowNs))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when some injection of <paramref name="lists"/> is in effect: what a wrapped queue or filtered region asks first, allocation-free.</summary>
    private static bool AnyActive(List<int>[] lists)
    {
        foreach (var list in lists)
        {
            if (list.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A live injection's end: it leaves the target's active list.</summary>
    private sealed class LiveEnd(SimulationFaults faults, int index) : ITimerCallback
    {
        public IPlatformTimer? Timer { get; set; }

        public void OnTimer(long nowNs) => faults.activeByTarget[faults.keys[index]].Remove(index);
    }

    /// <summary>Live: the state of a device opened now, which any later injection may target.</summary>
    private DeviceFaultState? DeviceStateFor(string uri)
    {
        if (devices.TryGetValue(uri, out var state) || !live)
        {
            return state;
        }

        state = new DeviceFaultState();
        devices.Add(uri, state);
        activeByTarget.TryAdd(uri, []);
        return state;
    }

    private sealed class ClockOffset
    {
        public long Ns;
    }

    private sealed class DeviceFaultState
    {
        public double LastTrue = double.NaN;
    }

    private sealed class JumpedClock(IClock clock, ClockOffset offset) : IClock
    {
        public long NowNs => clock.NowNs + offset.Ns;

        public long WallClockAtZeroUnixNs => clock.WallClockAtZeroUnixNs;
    }

    /// <summary>
    /// Channels opened here carry the faults. A device the kernel shares with a service's own
    /// process (a register bank's memory) is shared as it is: that process wraps its own channels.
    /// </summary>
    private sealed class FaultingDevices(IDeviceProvider inner, SimulationFaults faults) : IDeviceProvider, IShareableDevices
    {
        public RegionMemory? SharedMemoryOf(string uri) => (inner as IShareableDevices)?.SharedMemoryOf(uri);

        public IDeviceChannel Open(string uri, DeviceAccess access)
        {
            var channel = inner.Open(uri, access);
            return faults.DeviceStateFor(uri) is { } state ? new FaultingChannel(channel, faults, faults.activeByTarget[uri], state) : channel;
        }
    }

    /// <summary>
    /// A device channel whose reads carry the sensor faults (on the f64 at offset 0) and whose
    /// writes the actuator faults lose. With none in effect (a live run's channels, nearly always)
    /// it only notes the true reading: no clock read, no walk of the schedule.
    /// </summary>
    private sealed class FaultingChannel(IDeviceChannel inner, SimulationFaults faults, List<int> active, DeviceFaultState state) : IDeviceChannel
    {
        public string Uri => inner.Uri;

        public int Read(Span<byte> buffer)
        {
            var count = inner.Read(buffer);
            if (count >= sizeof(double))
            {
                var reading = BinaryPrimitives.ReadDoubleLittleEndian(buffer);
                state.LastTrue = reading;
                if (active.Count > 0)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer, faults.Fault(active, reading));
                }
            }

            return count;
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            if (active.Count == 0 || !faults.WriteLost(active))
            {
                inner.Write(data);
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
