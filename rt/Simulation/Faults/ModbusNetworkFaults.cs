using System.Buffers.Binary;
using System.Diagnostics;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Faults;

namespace Neokernel.Rt.Simulation.Faults;

/// <summary>
/// The Modbus faults at the virtual network: the connections a master opens to a targeted slave's
/// address carry them. What the master reads from such a connection is cut into MBAP frames by the
/// true stream's lengths, and each whole reply meets the faults in effect when it arrives: it is
/// lost (timeout), replaced by an exception response (exception), has a header byte flipped
/// (garbled) or is held back (delay); a disconnect resets the connection and fails new ones while
/// it lasts. What the master
/// writes reaches the slave untouched. RTU lines carry the same faults (ModbusRtuFaults.cs).
/// <para>
/// Layering: rt must not reference the Modbus codec in drivers/fieldbus (dependencies point
/// inward), and what is needed of Modbus here is the MBAP header of Modbus Messaging on TCP/IP
/// V1.0b (transaction id, protocol id, length of unit + PDU, unit id: 7 bytes) and an exception
/// PDU (function | 0x80, code: 2 bytes). Those few bytes are written here, not behind a rewriter
/// interface the composition would have to supply; the master's own decoder, which is the codec,
/// judges the result.
/// </para>
/// </summary>
public sealed partial class SimulationFaults
{
    /// <summary>The MBAP header: transaction id (2), protocol id (2), length (2), unit id (1).</summary>
    private const int MbapHeaderBytes = 7;

    /// <summary>The largest TCP ADU: the MBAP header's six bytes before the length's count, plus a 254-byte length.</summary>
    private const int TcpAduBytesMax = 260;

    /// <summary>Garbling flips one of the bytes the master checks before the data: the MBAP header and the function code.</summary>
    private const int GarbledBytesSpan = MbapHeaderBytes + 1;

    /// <summary>
    /// Delayed replies a connection holds at most; with this many held, it reads no more of the
    /// slave's stream until one is released (the bytes wait in the network, as in a full TCP window).
    /// </summary>
    private const int HeldRepliesMax = 8;

    private readonly Dictionary<string, ModbusLink> modbusLinks = new(StringComparer.Ordinal);

    /// <summary>What the Modbus faults did on the network, for tools and tests.</summary>
    public ModbusFaultCounters ModbusCounters { get; } = new();

    /// <summary>
    /// The stream provider services open through: connections to a slave a Modbus fault targets
    /// carry the faults; any other (and every one when no Modbus fault is scheduled) is the network's own.
    /// </summary>
    public IStreamDeviceProvider WrapStreams(IStreamDeviceProvider network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return modbusLinks.Count == 0 && !live ? network : new FaultingStreams(network, this);
    }

    /// <summary>The key a Modbus injection's target acts under: one per slave address, however the URI spells it.</summary>
    private static string ModbusKey(string target) =>
        FaultSchedule.ModbusSlaveKey(target) ?? throw new ArgumentException($"'{target}' is not a modbus-tcp:// address or a modbus-rtu:// line; check the schedule against the system first", nameof(target));

    private void AddModbusLink(string key, List<int> active) => modbusLinks.TryAdd(key, new ModbusLink(active));

    /// <summary>The link of a slave's address, made now when live (any later injection may target it).</summary>
    private ModbusLink? ModbusLinkFor(string key)
    {
        if (modbusLinks.TryGetValue(key, out var link) || !live)
        {
            return link;
        }

        if (!activeByTarget.TryGetValue(key, out var active))
        {
            active = [];
            activeByTarget.Add(key, active);
        }

        link = new ModbusLink(active);
        modbusLinks.Add(key, link);
        return link;
    }

    /// <summary>A disconnect strikes: every open connection to the slave is reset.</summary>
    private void Disconnect(string key)
    {
        foreach (var channel in modbusLinks[key].Channels)
        {
            channel.Cut();
        }
    }

    /// <summary>The strongest Modbus fault in effect on <paramref name="link"/> now, or null: disconnect, then timeout, exception, garbled, delay.</summary>
    private FaultInjection? ModbusFaultNow(ModbusLink link)
    {
        var nowNs = platform!.Clock.NowNs;
        FaultInjection? strongest = null;
        foreach (var index in link.Active)
        {
            var injection = injections[index];
            if (injection.ActiveAt(nowNs) && (strongest is null || Strength(injection.Kind) > Strength(strongest.Value.Kind)))
            {
                strongest = injection;
            }
        }

        return strongest;
    }

    private static int Strength(FaultKind kind) => kind switch
    {
        FaultKind.ModbusDisconnect => 4,
        FaultKind.ModbusTimeout => 3,
        FaultKind.ModbusException => 2,
        FaultKind.ModbusGarbled => 1,
        _ => 0,
    };

    /// <summary>
    /// A whole reply arrived for the master, an MBAP frame or (<paramref name="rtu"/>) an RTU one:
    /// returns how many bytes of <paramref name="frame"/> it reads (0: the reply is lost), and in
    /// <paramref name="delayNs"/> how long it is held first.
    /// </summary>
    private int Reply(ModbusLink link, Span<byte> frame, int length, bool rtu, out long delayNs)
    {
        delayNs = 0;
        if (ModbusFaultNow(link) is not { } fault)
        {
            return length;
        }

        switch (fault.Kind)
        {
            case FaultKind.ModbusTimeout:
                ModbusCounters.RepliesLost++;
                return 0;
            case FaultKind.ModbusException:
                ModbusCounters.RepliesReplaced++;
                var code = fault.HasValue ? (byte)fault.Value : (byte)FaultCatalog.ModbusExceptionCodeDefault;
                return rtu ? RtuExceptionReply(frame, code) : ExceptionReply(frame, code);
            case FaultKind.ModbusGarbled:
                // TCP: a byte the master checks before the data; RTU: any byte, so the CRC fails.
                Garble(rtu ? frame[..length] : frame[..GarbledBytesSpan], fault.HasValue ? fault.Value : FaultCatalog.GarbledChanceDefault);
                return length;
            case FaultKind.ModbusDelay:
                ModbusCounters.RepliesDelayed++;
                delayNs = (long)(fault.Value * 1_000_000);
                return length;
            default:
                // A disconnect cut the connection (bytes still in its pipe are gone with it), or made the line dead.
                if (rtu)
                {
                    ModbusCounters.FramesLostOnDeadLine++;
                }

                return 0;
        }
    }

    /// <summary>Rewrites the reply in place as an exception response to the same transaction, unit and function.</summary>
    private static int ExceptionReply(Span<byte> frame, byte code)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame[4..], 3);
        frame[MbapHeaderBytes] |= 0x80;
        frame[MbapHeaderBytes + 1] = code;
        return MbapHeaderBytes + 2;
    }

    /// <summary>With <paramref name="chance"/>, flips one byte of <paramref name="bytes"/> (which and how from the faults' stream).</summary>
    private void Garble(Span<byte> bytes, double chance)
    {
        if (random.NextDouble() >= chance)
        {
            return;
        }

        var position = (int)random.NextInt64(bytes.Length);
        bytes[position] ^= (byte)(1 + random.NextInt64(byte.MaxValue));
        ModbusCounters.RepliesGarbled++;
    }

    /// <summary>One slave address under Modbus faults: the injections in effect on it and the connections open to it.</summary>
    private sealed class ModbusLink(List<int> active)
    {
        public List<int> Active { get; } = active;

        public List<FaultingModbusChannel> Channels { get; } = [];
    }

    private sealed class FaultingStreams(IStreamDeviceProvider network, SimulationFaults faults) : IStreamDeviceProvider
    {
        public IStreamChannel Open(DeviceAddress address, IStreamHandler handler)
        {
            if (address.Scheme == DeviceScheme.ModbusRtu && faults.ModbusLinkFor("modbus-rtu://" + address.Path) is { } line)
            {
                // Per open of the line, on the control plane.
                faults.ModbusCounters.ConnectionsOpened++;
                var end = new FaultingRtuChannel(faults, line, handler, faults.platform!);
                end.Attach(network.Open(address, end));
                return end;
            }

            if (address.Scheme != DeviceScheme.ModbusTcp || faults.ModbusLinkFor("modbus-tcp://" + address.Endpoint) is not { } link)
            {
                return network.Open(address, handler);
            }

            // Per connection, on the control plane of a master's (re)connect.
            faults.ModbusCounters.ConnectionsOpened++;
            var channel = new FaultingModbusChannel(faults, link, handler, faults.platform!);
            link.Channels.Add(channel);
            if (faults.ModbusFaultNow(link) is { Kind: FaultKind.ModbusDisconnect })
            {
                channel.FailToConnect();
            }
            else
            {
                channel.Attach(network.Open(address, channel));
            }

            return channel;
        }

        public IStreamListener Listen(DeviceAddress address, IListenerHandler handler) => network.Listen(address, handler);
    }

    /// <summary>
    /// A master's connection to a faulted slave. Reads collect one MBAP frame at a time from the
    /// network's channel, by the true stream's length field, and hand the master what the faults
    /// make of it; a stream whose header is not MBAP (no Modbus slave) is passed through as it is.
    /// A delayed reply is held, with the time it is due, in a ring of <see cref="HeldRepliesMax"/>
    /// (made when the connection opens, so holding allocates nothing); replies behind a held one
    /// are held behind it, so the master reads them in the order they came.
    /// </summary>
    private sealed class FaultingModbusChannel : IStreamChannel, IStreamHandler, ITimerCallback, IHeldRepliesOwner
    {
        private readonly SimulationFaults faults;
        private readonly ModbusLink link;
        private readonly IStreamHandler handler;
        private readonly IClock clock;
        private readonly IPlatformTimer notice;
        private readonly byte[] frame = new byte[TcpAduBytesMax];
        private readonly HeldReplies held;
        private byte[] handing;
        private IStreamChannel? inner;
        private int collected;
        private int frameLength;
        private int handStart;
        private int handEnd;
        private bool passThrough;
        private bool connecting;
        private DeviceError cutReason;

        public FaultingModbusChannel(SimulationFaults faults, ModbusLink link, IStreamHandler handler, IPlatform platform)
        {
            this.faults = faults;
            this.link = link;
            this.handler = handler;
            clock = platform.Clock;
            notice = platform.CreateTimer(this);
            held = new HeldReplies(platform, this, TcpAduBytesMax);
            handing = frame;
        }

        public string Uri => inner?.Uri ?? "";

        public string Peer => inner?.Peer ?? "";

        public LinkState State => connecting ? LinkState.Connecting : cutReason != DeviceError.None ? LinkState.Down : inner?.State ?? LinkState.Connecting;

        public DeviceError LastError => cutReason != DeviceError.None ? cutReason : inner?.LastError ?? DeviceError.None;

        public void Attach(IStreamChannel channel) => inner = channel;

        /// <summary>Opened while the network is cut: the attempt fails as unreachable after the network's latency.</summary>
        public void FailToConnect()
        {
            faults.ModbusCounters.ConnectionsRefused++;
            connecting = true;
            cutReason = DeviceError.Unreachable;
            notice.ArmAt(clock.NowNs + VirtualNetwork.LatencyNs);
        }

        /// <summary>The network resets the connection; the master hears of it on its own event.</summary>
        public void Cut()
        {
            if (cutReason != DeviceError.None)
            {
                return;
            }

            faults.ModbusCounters.ConnectionsCut++;
            cutReason = inner?.State == LinkState.Up ? DeviceError.ConnectionReset : DeviceError.Unreachable;
            inner?.Dispose();
            inner = null;
            held.Drop();
            notice.ArmAt(clock.NowNs);
        }

        public IoResult Read(Span<byte> buffer)
        {
            if (cutReason != DeviceError.None || inner is null)
            {
                return connecting ? IoResult.WouldBlock : IoResult.Closed(cutReason);
            }

            while (true)
            {
                if (passThrough && handStart >= handEnd && held.Count == 0)
                {
                    return inner.Read(buffer);
                }

                if (handStart < handEnd)
                {
                    var count = Math.Min(buffer.Length, handEnd - handStart);
                    handing.AsSpan(handStart, count).CopyTo(buffer);
                    handStart += count;
                    return IoResult.Done(count);
                }

                if (held.TryTakeDue(out var due, out var dueLength))
                {
                    handing = due;
                    handStart = 0;
                    handEnd = dueLength;
                    continue;
                }

                if (held.Full || (passThrough && held.Count > 0))
                {
                    // The ring is full (or the stream stopped being MBAP behind held replies): the rest waits in the network.
                    held.ArmRelease();
                    return IoResult.WouldBlock;
                }

                var wanted = (collected < MbapHeaderBytes ? MbapHeaderBytes : frameLength) - collected;
                var read = inner.Read(frame.AsSpan(collected, wanted));
                if (!read.IsDone)
                {
                    held.ArmRelease();
                    return read;
                }

                collected += read.Bytes;
                Collected();
            }
        }

        public IoResult Write(ReadOnlySpan<byte> data) =>
            cutReason != DeviceError.None || inner is null ? IoResult.Closed(connecting ? DeviceError.None : cutReason) : inner.Write(data);

        public bool Reconnect()
        {
            if (cutReason != DeviceError.None || inner is null || !inner.Reconnect())
            {
                return false;
            }

            ResetFraming();
            return true;
        }

        public void Dispose()
        {
            notice.Cancel();
            held.Drop();
            inner?.Dispose();
            inner = null;
            link.Channels.Remove(this);
        }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
            if (state == LinkState.Up)
            {
                ResetFraming();
            }

            handler.OnLinkChanged(this, state, reason);
        }

        public void OnReadable(IStreamChannel channel)
        {
            if (cutReason == DeviceError.None)
            {
                handler.OnReadable(this);
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
            if (cutReason == DeviceError.None)
            {
                handler.OnWritable(this);
            }
        }

        void ITimerCallback.OnTimer(long nowNs)
        {
            connecting = false;
            handler.OnLinkChanged(this, LinkState.Down, cutReason);
        }

        /// <summary>Bytes came in: a whole header gives the frame's length, a whole frame meets the faults.</summary>
        private void Collected()
        {
            if (collected == MbapHeaderBytes)
            {
                var length = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(4));
                if (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)) != 0 || length is < 2 or > TcpAduBytesMax - 6)
                {
                    // Not MBAP: hand over what was read and stay out of the way.
                    passThrough = true;
                    Hand(collected);
                    return;
                }

                frameLength = 6 + length;
            }

            if (collected == frameLength && frameLength > 0)
            {
                Debug.Assert(frameLength > MbapHeaderBytes, "an MBAP frame holds at least a function code after its header");
                var count = faults.Reply(link, frame, frameLength, rtu: false, out var delayNs);
                if (count > 0 && (delayNs > 0 || held.Count > 0))
                {
                    held.Hold(frame.AsSpan(0, count), clock.NowNs + delayNs);
                    Hand(0);
                }
                else
                {
                    Hand(count);
                }
            }
        }

        public void HeldReplyDue() => handler.OnReadable(this);

        private void Hand(int count)
        {
            handing = frame;
            handStart = 0;
            handEnd = count;
            collected = 0;
            frameLength = 0;
        }

        private void ResetFraming()
        {
            Hand(0);
            held.Drop();
            passThrough = false;
        }
    }
}

/// <summary>What the Modbus faults did on the virtual network since the run began.</summary>
public sealed class ModbusFaultCounters
{
    /// <summary>Connections masters opened to a faulted slave's address (the first and every reconnect), and opens of a faulted RTU line.</summary>
    public long ConnectionsOpened { get; internal set; }

    /// <summary>Open connections a disconnect reset.</summary>
    public long ConnectionsCut { get; internal set; }

    /// <summary>Connection attempts that failed because a disconnect had cut the network.</summary>
    public long ConnectionsRefused { get; internal set; }

    /// <summary>Replies a timeout lost.</summary>
    public long RepliesLost { get; internal set; }

    /// <summary>Replies an exception fault replaced.</summary>
    public long RepliesReplaced { get; internal set; }

    /// <summary>Replies a garbled fault corrupted.</summary>
    public long RepliesGarbled { get; internal set; }

    /// <summary>Frames a disconnect lost on a dead serial line, either way (RTU: the line has no connection to reset).</summary>
    public long FramesLostOnDeadLine { get; internal set; }

    /// <summary>Replies a delay fault held back.</summary>
    public long RepliesDelayed { get; internal set; }
}
