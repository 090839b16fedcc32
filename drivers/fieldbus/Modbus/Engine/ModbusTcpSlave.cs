using System.Diagnostics;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// A Modbus TCP slave: one listener, up to its <c>connectionsMax</c> connections at once (the
/// listener closes the rest, <see cref="DeviceError.ConnectionsFull"/>), each with its own frame
/// reassembler and buffers from a pool made at <see cref="Start"/>, so neither a request nor a new
/// connection allocates once running. Requests on one connection are answered in the order they
/// came, pipelined or not. A connection is closed when its stream breaks Modbus framing (there is
/// no boundary left to find), and when it has sent nothing for the idle time.
/// <para>
/// Unit id: a TCP slave is addressed by its IP address, and Messaging on TCP/IP V1.0b (4.4.2.2)
/// says a server that is no gateway ignores the unit id; libmodbus's TCP slaves do the same. So by
/// default (<see cref="AnyUnit"/>) this slave answers every unit id, echoing the one asked,
/// including 0 (which on TCP is no broadcast) and 0xFF. Given a unit, it answers that one, 0xFF
/// (the spec's "unit not used") and 0 (what masters such as pymodbus send by default), and any
/// other unit with exception 0B, as a gateway does for a device that is not there: the master
/// learns at once that it asked the wrong unit instead of timing out.
/// </para>
/// </summary>
public sealed class ModbusTcpSlave : IListenerHandler, IDisposable
{
    /// <summary>A master that says nothing for this long is disconnected (the spec leaves it to the server).</summary>
    public const long IdleTimeoutNsDefault = 60_000_000_000;

    /// <summary>The unit filter that answers every unit id.</summary>
    public const int AnyUnit = -1;

    /// <summary>Bytes one read takes from a connection: many pipelined requests at a time.</summary>
    internal const int InputBytes = 2048;

    /// <summary>Responses gathered before one write: eight of the largest.</summary>
    internal const int OutputBytes = 8 * ModbusLimits.TcpAduBytesMax;

    private readonly ModbusSlave slave;
    private readonly IStreamDeviceProvider streams;
    private readonly DeviceAddress address;
    private readonly IModbusLoop loop;
    private readonly long idleTimeoutNs;
    private readonly int unit;
    private readonly byte[] pdu = new byte[ModbusLimits.PduBytesMax];
    private Connection[] pool = [];
    private int[] free = [];
    private int freeCount;
    private IStreamListener? listener;
    private long poolRefused;

    public ModbusTcpSlave(ModbusSlave slave, IStreamDeviceProvider streams, DeviceAddress address, IModbusLoop loop, long idleTimeoutNs = IdleTimeoutNsDefault, int unit = AnyUnit)
    {
        ArgumentNullException.ThrowIfNull(slave);
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(loop);
        StreamAddressChecks.RequireListenable(address);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(idleTimeoutNs);
        if (unit is not AnyUnit and (< 1 or > ModbusLimits.UnitMax))
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, $"a TCP slave's unit is 1..{ModbusLimits.UnitMax}, or AnyUnit");
        }

        this.unit = unit;
        this.slave = slave;
        this.streams = streams;
        this.address = address;
        this.loop = loop;
        this.idleTimeoutNs = idleTimeoutNs;
    }

    public ModbusSlave Slave => slave;

    public ModbusSlaveCounters Counters => slave.Counters;

    /// <summary>The bound address, e.g. <c>127.0.0.1:1502</c>; empty before <see cref="Start"/>.</summary>
    public string LocalEndpoint => listener?.LocalEndpoint ?? "";

    public int ConnectionsMax => address.ConnectionsMax;

    /// <summary>Connections being served now.</summary>
    public int Connections => pool.Length - Volatile.Read(ref freeCount);

    /// <summary>Connections closed at once because <see cref="ConnectionsMax"/> were open.</summary>
    public long ConnectionsRefused => (listener?.Refused ?? 0) + Volatile.Read(ref poolRefused);

    public long IdleTimeoutNs => idleTimeoutNs;

    /// <summary>The unit answered besides 0 and 0xFF, or <see cref="AnyUnit"/>.</summary>
    public int Unit => unit;

    private bool Answers(byte frameUnit) => unit == AnyUnit || frameUnit == unit || frameUnit is 0 or 0xFF;

    /// <summary>Makes every connection's state, then binds and listens. Control plane; throws if the address cannot be bound.</summary>
    public void Start()
    {
        if (listener is not null)
        {
            throw new InvalidOperationException($"the Modbus TCP slave on {address.Endpoint} is already started");
        }

        pool = new Connection[address.ConnectionsMax];
        free = new int[pool.Length];
        for (var index = 0; index < pool.Length; index++)
        {
            pool[index] = new Connection(this, index);
            free[index] = pool.Length - 1 - index;
        }

        freeCount = pool.Length;
        listener = streams.Listen(address, this);
    }

    public IStreamHandler? OnAccepted(IStreamChannel connection)
    {
        if (freeCount == 0)
        {
            // The listener bounds connections to the pool's size; this only guards that promise.
            Volatile.Write(ref poolRefused, poolRefused + 1);
            return null;
        }

        var state = pool[free[freeCount - 1]];
        Volatile.Write(ref freeCount, freeCount - 1);
        Counters.Accepted();
        state.Attach(connection, loop.Clock.NowNs);
        return state;
    }

    /// <summary>Closes every connection and the listener.</summary>
    public void Dispose()
    {
        foreach (var connection in pool)
        {
            if (connection.IsOpen)
            {
                Release(connection);
            }
        }

        listener?.Dispose();
    }

    private void Release(Connection connection)
    {
        connection.Detach();
        Debug.Assert(freeCount < pool.Length, "a connection is released once per attach");
        free[freeCount] = connection.Index;
        Volatile.Write(ref freeCount, freeCount + 1);
    }

    /// <summary>
    /// One connection's state, reused for the next connection once this one closes. Reads fill
    /// <c>input</c>; each whole frame is answered into <c>output</c>; output is written before more
    /// input is read, so a master that does not read its answers stops being read (TCP backpressure)
    /// instead of growing a queue here.
    /// </summary>
    private sealed class Connection : IStreamHandler, ITimerCallback
    {
        private readonly ModbusTcpSlave owner;
        private readonly TcpFrameReassembler reassembler = new();
        private readonly byte[] input = new byte[InputBytes];
        private readonly byte[] output = new byte[OutputBytes];
        private readonly IPlatformTimer idleTimer;
        private IStreamChannel? current;
        private int inputStart;
        private int inputEnd;
        private int outputStart;
        private int outputEnd;
        private long lastActivityNs;

        public Connection(ModbusTcpSlave owner, int index)
        {
            this.owner = owner;
            Index = index;
            idleTimer = owner.loop.CreateTimer(this);
        }

        public int Index { get; }

        public bool IsOpen => current is not null;

        public void Attach(IStreamChannel connection, long nowNs)
        {
            Debug.Assert(current is null, "a pooled connection serves one channel at a time");
            current = connection;
            reassembler.Reset();
            inputStart = inputEnd = outputStart = outputEnd = 0;
            lastActivityNs = nowNs;
            idleTimer.ArmAt(nowNs + owner.idleTimeoutNs);
        }

        public void Detach()
        {
            idleTimer.Cancel();
            current?.Dispose();
            current = null;
        }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
            if (state == LinkState.Down && ReferenceEquals(channel, current))
            {
                owner.Release(this);
            }
        }

        public void OnReadable(IStreamChannel channel)
        {
            if (ReferenceEquals(channel, current))
            {
                Pump();
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
            if (ReferenceEquals(channel, current))
            {
                Pump();
            }
        }

        /// <summary>Idle check: the timer is moved only when it fires, not on every request.</summary>
        public void OnTimer(long nowNs)
        {
            if (current is null)
            {
                return;
            }

            var dueNs = lastActivityNs + owner.idleTimeoutNs;
            if (nowNs < dueNs)
            {
                idleTimer.ArmAt(dueNs);
                return;
            }

            owner.Counters.ClosedIdle();
            owner.Release(this);
        }

        /// <summary>Writes what is pending, answers what is buffered, reads more; until the channel would block or closes.</summary>
        private void Pump()
        {
            while (current is not null)
            {
                if (!Flush())
                {
                    return;
                }

                if (inputStart < inputEnd)
                {
                    ServeBuffered();
                    continue;
                }

                var read = current.Read(input);
                if (read.IsDone)
                {
                    inputStart = 0;
                    inputEnd = read.Bytes;
                    lastActivityNs = owner.loop.Clock.NowNs;
                    continue;
                }

                if (read.Status != IoStatus.WouldBlock)
                {
                    owner.Release(this);
                }

                return;
            }
        }

        /// <summary>Answers buffered frames until the input is used up or the output has no room for the largest answer.</summary>
        private void ServeBuffered()
        {
            while (inputStart < inputEnd && output.Length - outputEnd >= ModbusLimits.TcpAduBytesMax)
            {
                var step = reassembler.Append(input.AsSpan(inputStart, inputEnd - inputStart));
                inputStart += step.Consumed;
                if (step.Status == ReassemblyStatus.Error)
                {
                    owner.Counters.Drop();
                    owner.Counters.ClosedFault();
                    owner.Release(this);
                    return;
                }

                if (step.Status == ReassemblyStatus.Frame)
                {
                    Answer();
                }
            }
        }

        private void Answer()
        {
            var frame = reassembler.Frame;
            Debug.Assert(frame.IsFrame, "the reassembler completes only well-framed ADUs");
            var length = owner.Answers(frame.Unit)
                ? owner.slave.Answer(frame.Pdu, owner.pdu)
                : owner.slave.AnswerAbsentUnit(frame.Pdu, owner.pdu);
            if (length > 0)
            {
                outputEnd += TcpFrame.Encode(frame.TransactionId, frame.Unit, owner.pdu.AsSpan(0, length), output.AsSpan(outputEnd));
            }
        }

        /// <summary>True when nothing is left to write; false when the rest waits for <see cref="OnWritable"/> or the link closed.</summary>
        private bool Flush()
        {
            while (outputStart < outputEnd)
            {
                var written = current!.Write(output.AsSpan(outputStart, outputEnd - outputStart));
                if (!written.IsDone)
                {
                    if (written.Status != IoStatus.WouldBlock)
                    {
                        owner.Release(this);
                    }

                    return false;
                }

                outputStart += written.Bytes;
            }

            outputStart = outputEnd = 0;
            return true;
        }
    }
}
