using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Faults;

namespace Neokernel.Rt.Simulation.Faults;

/// <summary>
/// The Modbus faults on a serial line: a master's <c>modbus-rtu://</c> line whose path a Modbus
/// fault targets carries them, for every slave the master reaches on it. What the master reads is
/// cut into RTU frames by the lengths Modbus over Serial Line V1.02 gives each reply (the function
/// code, and the byte count where there is one), and each whole reply meets the faults in effect
/// when it arrives: lost (timeout), replaced by an exception response with its own CRC
/// (exception), one byte anywhere in it flipped, so the master's CRC check fails (garbled), or held
/// back (delay). A serial line has no connection to reset: a disconnect makes the line dead for its
/// duration, and what either side sends meanwhile is lost. A reply whose function code has no
/// length rule here is passed through as it is, and framing starts again once the line is quiet.
/// <para>
/// Layering, as for TCP: what is needed of RTU (the reply lengths and the CRC-16 of 6.2.2) is
/// written here, not taken from the codec in drivers/fieldbus; the master's decoder judges the result.
/// </para>
/// </summary>
public sealed partial class SimulationFaults
{
    /// <summary>The largest RTU ADU (Modbus over Serial Line V1.02, 2.5.1): address, 253-byte PDU, CRC.</summary>
    private const int RtuAduBytesMax = 256;

    /// <summary>A reply whose length no rule here knows: framing passes it through.</summary>
    private const int RtuLengthUnknown = -1;

    /// <summary>
    /// How long the whole RTU reply begun in <paramref name="frame"/>'s first <paramref name="collected"/>
    /// bytes is, as far as those bytes tell: more than <paramref name="collected"/> while a byte
    /// that decides it is still missing; <see cref="RtuLengthUnknown"/> for a function with no rule
    /// here, or a length beyond an ADU.
    /// </summary>
    internal static int RtuReplyLength(ReadOnlySpan<byte> frame, int collected)
    {
        if (collected < 2)
        {
            return 2;
        }

        var length = frame[1] switch
        {
            >= 0x80 => 5, // exception: address, function | 0x80, code, CRC
            1 or 2 or 3 or 4 or 23 => collected < 3 ? 3 : 3 + frame[2] + 2, // byte count, then the data
            5 or 6 or 15 or 16 => 8, // the echo of address and value (or quantity)
            22 => 10, // mask write: the echo of address, AND and OR masks
            43 => DeviceIdentificationLength(frame, collected),
            _ => RtuLengthUnknown,
        };
        return length > RtuAduBytesMax ? RtuLengthUnknown : length;
    }

    /// <summary>43/14: MEI type, read code, conformity, more follows, next object id, object count, then (id, length, value) each.</summary>
    private static int DeviceIdentificationLength(ReadOnlySpan<byte> frame, int collected)
    {
        const int objectsStart = 8;
        if (collected < objectsStart)
        {
            return objectsStart;
        }

        var position = objectsStart;
        for (var i = 0; i < frame[objectsStart - 1]; i++)
        {
            if (collected < position + 2)
            {
                return position + 2;
            }

            position += 2 + frame[position + 1];
            if (position > RtuAduBytesMax)
            {
                return RtuLengthUnknown;
            }
        }

        return position + 2;
    }

    /// <summary>CRC-16 of Modbus over Serial Line V1.02, 6.2.2: reflected polynomial 0xA001, initial 0xFFFF; the low byte goes first.</summary>
    internal static ushort RtuCrc(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1;
            }
        }

        return (ushort)crc;
    }

    /// <summary>Rewrites the RTU reply in place as an exception response from the same unit to the same function, with its CRC.</summary>
    private static int RtuExceptionReply(Span<byte> frame, byte code)
    {
        frame[1] |= 0x80;
        frame[2] = code;
        var crc = RtuCrc(frame[..3]);
        frame[3] = (byte)crc;
        frame[4] = (byte)(crc >> 8);
        return 5;
    }

    /// <summary>The line is dead (a disconnect in effect): what is sent on it now is lost.</summary>
    private bool LineDead(ModbusLink link) => ModbusFaultNow(link) is { Kind: FaultKind.ModbusDisconnect };

    /// <summary>What holds delayed replies is told, by their timer, that the first one is due: the master has something to read.</summary>
    private interface IHeldRepliesOwner
    {
        void HeldReplyDue();
    }

    /// <summary>
    /// The replies a delay fault holds on one connection or line: a ring of <see cref="HeldRepliesMax"/>,
    /// each with the time it is due and never before the one ahead of it, made when the channel
    /// opens (holding allocates nothing), and one timer for the first.
    /// </summary>
    private sealed class HeldReplies : ITimerCallback
    {
        private readonly IClock clock;
        private readonly IHeldRepliesOwner owner;
        private readonly IPlatformTimer timer;
        private readonly byte[][] frames = new byte[HeldRepliesMax][];
        private readonly int[] lengths = new int[HeldRepliesMax];
        private readonly long[] dueNs = new long[HeldRepliesMax];
        private int first;

        public HeldReplies(IPlatform platform, IHeldRepliesOwner owner, int frameBytesMax)
        {
            clock = platform.Clock;
            this.owner = owner;
            timer = platform.CreateTimer(this);
            for (var i = 0; i < frames.Length; i++)
            {
                frames[i] = new byte[frameBytesMax];
            }
        }

        public int Count { get; private set; }

        public bool Full => Count == HeldRepliesMax;

        /// <summary>Keeps a copy of <paramref name="frame"/> until <paramref name="due"/>, and not before the one held ahead of it.</summary>
        public void Hold(ReadOnlySpan<byte> frame, long due)
        {
            System.Diagnostics.Debug.Assert(!Full, "a channel collects no reply while its ring is full");
            var slot = (first + Count) % HeldRepliesMax;
            if (Count > 0)
            {
                due = Math.Max(due, dueNs[(slot + HeldRepliesMax - 1) % HeldRepliesMax]);
            }

            frame.CopyTo(frames[slot]);
            lengths[slot] = frame.Length;
            dueNs[slot] = due;
            if (Count++ == 0)
            {
                timer.ArmAt(due);
            }
        }

        /// <summary>Takes the first held reply if it is due now; its bytes stay valid until the next <see cref="Hold"/>.</summary>
        public bool TryTakeDue(out byte[] frame, out int length)
        {
            if (Count == 0 || dueNs[first] > clock.NowNs)
            {
                frame = [];
                length = 0;
                return false;
            }

            frame = frames[first];
            length = lengths[first];
            first = (first + 1) % HeldRepliesMax;
            Count--;
            return true;
        }

        /// <summary>Arms the timer for the first held reply when it is not due yet (one due now is the master's to read).</summary>
        public void ArmRelease()
        {
            if (Count > 0 && dueNs[first] > clock.NowNs)
            {
                timer.ArmAt(dueNs[first]);
            }
        }

        public void Drop()
        {
            first = 0;
            Count = 0;
            timer.Cancel();
        }

        public void OnTimer(long nowNs)
        {
            // A cut or a reset drops what is held (Drop), so anything held is on a live channel.
            if (Count > 0)
            {
                owner.HeldReplyDue();
            }

            ArmRelease();
        }
    }

    /// <summary>
    /// A master's serial line under Modbus faults. Reads collect one RTU reply at a time from the
    /// line and hand the master what the faults make of it; writes pass unless the line is dead.
    /// A serial line stays Up through a disconnect: a port cannot tell a pulled cable.
    /// </summary>
    private sealed class FaultingRtuChannel : IStreamChannel, IStreamHandler, IHeldRepliesOwner
    {
        private readonly SimulationFaults faults;
        private readonly ModbusLink link;
        private readonly IStreamHandler handler;
        private readonly IClock clock;
        private readonly byte[] frame = new byte[RtuAduBytesMax];
        private readonly HeldReplies held;
        private byte[] handing;
        private IStreamChannel? inner;
        private int collected;
        private int handStart;
        private int handEnd;
        private bool passing;

        public FaultingRtuChannel(SimulationFaults faults, ModbusLink link, IStreamHandler handler, IPlatform platform)
        {
            this.faults = faults;
            this.link = link;
            this.handler = handler;
            clock = platform.Clock;
            held = new HeldReplies(platform, this, RtuAduBytesMax);
            handing = frame;
        }

        public string Uri => inner?.Uri ?? "";

        public string Peer => inner?.Peer ?? "";

        public LinkState State => inner?.State ?? LinkState.Connecting;

        public DeviceError LastError => inner?.LastError ?? DeviceError.None;

        public void Attach(IStreamChannel channel) => inner = channel;

        public IoResult Read(Span<byte> buffer)
        {
            if (inner is null)
            {
                return IoResult.WouldBlock;
            }

            while (true)
            {
                if (handStart < handEnd)
                {
                    var count = Math.Min(buffer.Length, handEnd - handStart);
                    handing.AsSpan(handStart, count).CopyTo(buffer);
                    handStart += count;
                    return IoResult.Done(count);
                }

                if (held.TryTakeDue(out var due, out var dueLength))
                {
                    Hand(due, dueLength);
                    continue;
                }

                if (held.Full || (passing && held.Count > 0))
                {
                    held.ArmRelease();
                    return IoResult.WouldBlock;
                }

                if (passing)
                {
                    // Bytes of a reply no rule here frames: the master's as they come, until the line is quiet.
                    var through = inner.Read(buffer);
                    passing = through.IsDone;
                    return through;
                }

                var expected = RtuReplyLength(frame, collected);
                if (expected == RtuLengthUnknown)
                {
                    passing = true;
                    Hand(frame, collected);
                    continue;
                }

                var read = inner.Read(frame.AsSpan(collected, expected - collected));
                if (!read.IsDone)
                {
                    held.ArmRelease();
                    return read;
                }

                collected += read.Bytes;
                if (collected == RtuReplyLength(frame, collected))
                {
                    Whole();
                }
            }
        }

        public IoResult Write(ReadOnlySpan<byte> data)
        {
            if (inner is null)
            {
                return IoResult.WouldBlock;
            }

            if (faults.LineDead(link))
            {
                faults.ModbusCounters.FramesLostOnDeadLine++;
                return IoResult.Done(data.Length);
            }

            return inner.Write(data);
        }

        public bool Reconnect()
        {
            if (inner is null || !inner.Reconnect())
            {
                return false;
            }

            ResetFraming();
            return true;
        }

        public void Dispose()
        {
            held.Drop();
            inner?.Dispose();
            inner = null;
        }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
            if (state == LinkState.Up)
            {
                ResetFraming();
            }

            handler.OnLinkChanged(this, state, reason);
        }

        public void OnReadable(IStreamChannel channel) => handler.OnReadable(this);

        public void OnWritable(IStreamChannel channel) => handler.OnWritable(this);

        public void HeldReplyDue() => handler.OnReadable(this);

        /// <summary>A whole reply is in <see cref="frame"/>: it meets the faults, and is handed, held or lost.</summary>
        private void Whole()
        {
            var count = faults.Reply(link, frame, collected, rtu: true, out var delayNs);
            if (count > 0 && (delayNs > 0 || held.Count > 0))
            {
                held.Hold(frame.AsSpan(0, count), clock.NowNs + delayNs);
                count = 0;
            }

            Hand(frame, count);
        }

        private void Hand(byte[] bytes, int count)
        {
            handing = bytes;
            handStart = 0;
            handEnd = count;
            collected = 0;
        }

        private void ResetFraming()
        {
            Hand(frame, 0);
            held.Drop();
            passing = false;
        }
    }
}
