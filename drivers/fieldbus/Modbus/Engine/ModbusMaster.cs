using System.Diagnostics;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// A Modbus master (client) on one TCP connection or one RTU serial line, for any number of unit
/// ids behind it. Requests go into a bounded queue of preallocated slots and end in exactly one
/// completion call: Good, Exception, Timeout (after the configured retries), Invalid, or LinkDown.
/// <para>
/// The link: the master opens its device at <see cref="Start"/>; when the link goes down (the
/// peer closed, a connect was refused or timed out, the stream lost its framing) every queued and
/// in-flight request ends with LinkDown, submits are refused at once, and the master reopens the
/// device after a backoff that doubles from <see cref="ModbusMasterOptions.ReconnectDelayNsMin"/>
/// up to its cap, and starts again from the minimum once a connection comes up.
/// </para>
/// <para>
/// TCP sends up to <see cref="ModbusMasterOptions.PipelineDepth"/> requests at once, each with its
/// own transaction id and timeout; a reply is matched by id alone, so a late reply to a request
/// that timed out (its id retired) is dropped and counted, never taken for a current one. RTU
/// (<c>ModbusMaster.Rtu.cs</c>) sends one request at a time after 3.5 characters of silence.
/// </para>
/// Everything runs on the loop (stream callbacks and <see cref="IModbusLoop"/> timers); nothing is
/// thread-safe and nothing on the request path allocates once started.
/// </summary>
public sealed partial class ModbusMaster : IStreamHandler, IDisposable
{
    /// <summary>Transaction ids remembered after their request ended, to tell a late reply from an unknown one.</summary>
    internal const int RetiredIdsRemembered = 64;

    private readonly IStreamDeviceProvider streams;
    private readonly DeviceAddress address;
    private readonly IModbusLoop loop;
    private readonly ModbusMasterOptions options;
    private readonly MasterSlot[] slots;
    private readonly int[] freeSlots;
    private readonly int[] queue;
    private readonly MasterSlot?[] inFlight;
    private readonly IPlatformTimer reconnectTimer;
    private readonly byte[] transmit;
    private readonly byte[] receive = new byte[2 * ModbusLimits.TcpAduBytesMax];
    private readonly List<ModbusPollGroup> pollGroups = [];
    private IStreamChannel? stream;
    private int freeCount;
    private int queueHead;
    private int queueCount;
    private int inFlightCount;
    private int transmitStart;
    private int transmitEnd;
    private long reconnectDelayNs;
    private bool everUp;
    private bool pumping;
    private bool started;
    private bool disposed;

    /// <summary>Makes a master for <paramref name="address"/> (modbus-tcp, tcp, modbus-rtu or serial); nothing opens before <see cref="Start"/>.</summary>
    public ModbusMaster(IStreamDeviceProvider streams, DeviceAddress address, IModbusLoop loop, ModbusMasterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(loop);
        StreamAddressChecks.RequireOpenable(address);
        this.options = options ?? new ModbusMasterOptions();
        this.options.Validate();
        this.streams = streams;
        this.address = address;
        this.loop = loop;

        IsRtu = address.Transport == DeviceTransport.Serial;
        var depth = IsRtu ? 1 : this.options.PipelineDepth;
        slots = new MasterSlot[this.options.QueueCapacity];
        freeSlots = new int[slots.Length];
        queue = new int[slots.Length];
        inFlight = new MasterSlot?[depth];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = new MasterSlot(this, loop, i);
            freeSlots[i] = slots.Length - 1 - i;
        }

        freeCount = slots.Length;
        transmit = new byte[2 * depth * ModbusLimits.TcpAduBytesMax];
        reconnectTimer = loop.CreateTimer(new ReconnectCallback(this));
        reconnectDelayNs = this.options.ReconnectDelayNsMin;
        rtu = IsRtu ? new RtuLine(this, loop, address.Serial) : null;
    }

    public DeviceAddress Address => address;

    public ModbusMasterOptions Options => options;

    public ModbusMasterCounters Counters { get; } = new();

    public MasterLinkState Link { get; private set; } = MasterLinkState.Connecting;

    /// <summary>Why the link last went down (<see cref="DeviceError.Io"/> when the master reset it for a broken stream; see <see cref="LastFramingError"/>).</summary>
    public DeviceError LinkError { get; private set; }

    /// <summary>The framing error that made the master reset the link, or None.</summary>
    public ModbusError LastFramingError { get; private set; }

    /// <summary>The unit id the device URI names (<c>?unit=N</c>); requests may address any other.</summary>
    public byte DefaultUnit => (byte)address.Unit;

    public bool IsRtu { get; }

    /// <summary>Requests queued or in flight.</summary>
    public int Pending => slots.Length - freeCount;

    /// <summary>The wait before the next reconnect attempt.</summary>
    public long ReconnectDelayNs => reconnectDelayNs;

    public IReadOnlyList<ModbusPollGroup> PollGroups => pollGroups;

    /// <summary>Opens the device; the first requests may be submitted before the link is up (they wait in the queue).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (started)
        {
            throw new InvalidOperationException($"the Modbus master for {address.Text} is started already");
        }

        started = true;
        stream = streams.Open(address, this);
        foreach (var group in pollGroups)
        {
            group.Start();
        }
    }

    /// <summary>
    /// Queues <paramref name="request"/> for <paramref name="unit"/> with its write data (packed bits
    /// for FC15, registers for FC16/FC23, see <see cref="ModbusValues"/>). A request outside the
    /// spec's limits throws: it is the caller's bug. Allocation-free.
    /// </summary>
    public SubmitResult Submit(byte unit, in ModbusRequest request, ReadOnlySpan<byte> data, IModbusCompletion completion, long tag = 0)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(completion);
        if (unit > ModbusLimits.UnitMax && !(unit == 255 && !IsRtu))
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "a unit id is 0 (broadcast) .. 247, or 255 on TCP");
        }

        if (Link == MasterLinkState.Down)
        {
            Counters.RefusedLinkDown++;
            return SubmitResult.LinkDown;
        }

        if (freeCount == 0)
        {
            return SubmitResult.QueueFull;
        }

        // Encoded before the slot is taken: a request the encoder refuses leaves the slot free.
        var slot = slots[freeSlots[freeCount - 1]];
        slot.PduLength = RequestEncoder.Encode(request, data, slot.Pdu);
        freeCount--;
        slot.Unit = unit;
        slot.Request = request;
        slot.Completion = completion;
        slot.Tag = tag;
        slot.Attempts = 0;
        Enqueue(slot, atFront: false);
        Counters.Requests++;
        Pump();
        return SubmitResult.Queued;
    }

    /// <summary>Adds a group that reads one range of one table on its own period; it starts with the master (or now, if started).</summary>
    public ModbusPollGroup AddPollGroup(in PollGroupSpec spec, IPollHandler handler)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var group = new ModbusPollGroup(this, loop, spec, handler);
        pollGroups.Add(group);
        if (started)
        {
            group.Start();
        }

        return group;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        reconnectTimer.Cancel();
        rtu?.Cancel();
        foreach (var slot in slots)
        {
            slot.Timer.Cancel();
        }

        foreach (var group in pollGroups)
        {
            group.Stop();
        }

        stream?.Dispose();
        stream = null;
        Link = MasterLinkState.Down;
        LinkError = DeviceError.Disposed;
    }

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
    {
        if (channel != stream || disposed)
        {
            return;
        }

        if (state == LinkState.Up)
        {
            LinkCameUp();
        }
        else if (state == LinkState.Down)
        {
            LinkLost(reason == DeviceError.None ? DeviceError.ClosedByPeer : reason);
        }
    }

    public void OnReadable(IStreamChannel channel)
    {
        if (channel != stream || disposed)
        {
            return;
        }

        if (IsRtu)
        {
            rtu!.OnReadable(channel);
        }
        else
        {
            ReadTcp(channel);
        }

        Pump();
    }

    public void OnWritable(IStreamChannel channel)
    {
        if (channel == stream && !disposed)
        {
            Flush();
            Pump();
        }
    }

    /// <summary>A slot's timer: its attempt got no reply in time. Retry it first in line, or end it.</summary>
    internal void OnAttemptTimedOut(MasterSlot slot)
    {
        if (!slot.InFlight || disposed)
        {
            return;
        }

        TakeOutOfFlight(slot);
        rtu?.NoteTimeout();
        if (slot.Attempts <= options.Retries)
        {
            Counters.Retries++;
            Enqueue(slot, atFront: true);
        }
        else
        {
            Counters.Timeouts++;
            Finish(slot, ModbusStatus.Timeout, ExceptionCode.None, ModbusError.None, default);
        }

        Pump();
    }

    /// <summary>Sends queued requests while the transport has room for them.</summary>
    internal void Pump()
    {
        if (pumping || Link != MasterLinkState.Up || disposed)
        {
            return;
        }

        pumping = true;
        while (queueCount > 0 && Link == MasterLinkState.Up && CanSendNow())
        {
            var slot = Dequeue();
            if (IsRtu)
            {
                rtu!.Send(slot);
            }
            else
            {
                SendTcp(slot);
            }
        }

        pumping = false;
    }

    /// <summary>Ends a slot: frees it first (so the completion may submit), then tells the owner.</summary>
    internal void Finish(MasterSlot slot, ModbusStatus status, ExceptionCode exception, ModbusError error, ReadOnlySpan<byte> data)
    {
        Debug.Assert(!slot.InFlight, "a slot is taken out of flight before it is finished");
        var result = new ModbusResult(status, slot.Unit, slot.Request, exception, error, slot.Attempts, slot.Tag);
        var completion = slot.Completion!;
        slot.Completion = null;
        freeSlots[freeCount++] = slot.Index;
        Debug.Assert(freeCount <= slots.Length, "a slot is freed once");
        completion.OnCompleted(result, data);
    }

    /// <summary>A reply answered <paramref name="slot"/>: decode it against its request and end the slot.</summary>
    internal void Answer(MasterSlot slot, ReadOnlySpan<byte> pdu)
    {
        TakeOutOfFlight(slot);
        var decoded = ResponseDecoder.Decode(pdu, slot.Request);
        switch (decoded.Status)
        {
            case DecodeStatus.Decoded:
                Counters.Responses++;
                Finish(slot, ModbusStatus.Good, ExceptionCode.None, ModbusError.None, decoded.Data);
                break;
            case DecodeStatus.Exception:
                Counters.Responses++;
                Counters.Exceptions++;
                Finish(slot, ModbusStatus.Exception, decoded.Exception, ModbusError.None, default);
                break;
            default:
                Counters.InvalidReplies++;
                Finish(slot, ModbusStatus.Invalid, ExceptionCode.None, decoded.Error, default);
                break;
        }
    }

    internal void PutInFlight(MasterSlot slot)
    {
        Debug.Assert(inFlightCount < inFlight.Length, "never more in flight than the pipeline holds");
        inFlight[Array.IndexOf(inFlight, null)] = slot;
        inFlightCount++;
        slot.InFlight = true;
        slot.Attempts++;
        Counters.Sent++;
    }

    internal void TakeOutOfFlight(MasterSlot slot)
    {
        Debug.Assert(slot.InFlight, "only a slot in flight is taken out of flight");
        slot.Timer.Cancel();
        slot.InFlight = false;
        inFlight[Array.IndexOf(inFlight, slot)] = null;
        inFlightCount--;
        if (!IsRtu)
        {
            Retire(slot.TransactionId);
        }
    }

    internal MasterSlot? FirstInFlight()
    {
        foreach (var slot in inFlight)
        {
            if (slot is not null)
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>Queues bytes to write and writes what the stream takes; a short write resumes on OnWritable.</summary>
    internal bool Transmit(ReadOnlySpan<byte> frame)
    {
        if (transmit.Length - transmitEnd < frame.Length)
        {
            Array.Copy(transmit, transmitStart, transmit, 0, transmitEnd - transmitStart);
            transmitEnd -= transmitStart;
            transmitStart = 0;
        }

        if (transmit.Length - transmitEnd < frame.Length)
        {
            // The peer has not taken even the frames in flight: the connection is stuck.
            ResetLink(ModbusError.None);
            return false;
        }

        frame.CopyTo(transmit.AsSpan(transmitEnd));
        transmitEnd += frame.Length;
        Flush();
        return Link == MasterLinkState.Up;
    }

    /// <summary>The stream cannot be trusted any more (lost framing, stuck): end what is in flight as Invalid and reconnect.</summary>
    internal void ResetLink(ModbusError error)
    {
        LastFramingError = error;
        while (FirstInFlight() is { } slot)
        {
            TakeOutOfFlight(slot);
            Counters.InvalidReplies++;
            Finish(slot, ModbusStatus.Invalid, ExceptionCode.None, error, default);
        }

        LinkLost(DeviceError.Io);
    }

    private bool CanSendNow() => IsRtu ? rtu!.CanSend() : inFlightCount < inFlight.Length;

    private void Flush()
    {
        while (transmitStart < transmitEnd && stream is not null)
        {
            var written = stream.Write(transmit.AsSpan(transmitStart, transmitEnd - transmitStart));
            if (written.Status == IoStatus.Done)
            {
                transmitStart += written.Bytes;
                continue;
            }

            if (written.Status != IoStatus.WouldBlock)
            {
                LinkLost(written.Error == DeviceError.None ? DeviceError.ClosedByPeer : written.Error);
            }

            return;
        }

        transmitStart = 0;
        transmitEnd = 0;
    }

    private void LinkCameUp()
    {
        if (everUp)
        {
            Counters.Reconnects++;
        }

        everUp = true;
        Link = MasterLinkState.Up;
        LinkError = DeviceError.None;
        reconnectDelayNs = options.ReconnectDelayNsMin;
        reassembler.Reset();
        rtu?.Reset();
        Pump();
    }

    /// <summary>The link is gone: close the stream, end every request with LinkDown, and reopen after the backoff.</summary>
    private void LinkLost(DeviceError reason)
    {
        if (Link == MasterLinkState.Down && stream is null)
        {
            return;
        }

        Link = MasterLinkState.Down;
        LinkError = reason;
        var lost = stream;
        stream = null;
        lost?.Dispose();
        transmitStart = 0;
        transmitEnd = 0;
        rtu?.Reset();
        FailAll();
        reconnectTimer.ArmAt(loop.Clock.NowNs + reconnectDelayNs);
        reconnectDelayNs = Math.Min(reconnectDelayNs * 2, options.ReconnectDelayNsMax);
    }

    private void FailAll()
    {
        while (FirstInFlight() is { } slot)
        {
            TakeOutOfFlight(slot);
            Counters.LinkDownFailures++;
            Finish(slot, ModbusStatus.LinkDown, ExceptionCode.None, ModbusError.None, default);
        }

        while (queueCount > 0)
        {
            Counters.LinkDownFailures++;
            Finish(Dequeue(), ModbusStatus.LinkDown, ExceptionCode.None, ModbusError.None, default);
        }
    }

    private void Reopen()
    {
        if (disposed || stream is not null)
        {
            return;
        }

        stream = streams.Open(address, this);
    }

    private void Enqueue(MasterSlot slot, bool atFront)
    {
        Debug.Assert(queueCount < queue.Length, "the queue holds every slot at most once");
        if (atFront)
        {
            queueHead = (queueHead + queue.Length - 1) % queue.Length;
            queue[queueHead] = slot.Index;
        }
        else
        {
            queue[(queueHead + queueCount) % queue.Length] = slot.Index;
        }

        queueCount++;
    }

    private MasterSlot Dequeue()
    {
        Debug.Assert(queueCount > 0, "dequeue only from a non-empty queue");
        var slot = slots[queue[queueHead]];
        queueHead = (queueHead + 1) % queue.Length;
        queueCount--;
        return slot;
    }

    private sealed class ReconnectCallback(ModbusMaster master) : ITimerCallback
    {
        public void OnTimer(long nowNs) => master.Reopen();
    }
}
