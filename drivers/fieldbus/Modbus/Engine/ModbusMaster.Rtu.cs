using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>The RTU side of the master: one request at a time per line, silences from <see cref="RtuTiming"/>.</summary>
public sealed partial class ModbusMaster
{
    private readonly RtuLine? rtu;

    /// <summary>
    /// One serial line as the master sees it. A request is sent only after 3.5 characters of
    /// silence since the line's last byte (ours or anyone's). A reply is the bytes that arrive
    /// until 3.5 characters of silence; then its CRC and unit are checked. A pseudo-terminal or a
    /// USB adapter on a loaded host can deliver one frame in pieces with longer gaps, so a frame
    /// that is still shorter than its own header says it must be is not judged at a silence: the
    /// master keeps collecting until it is whole or the request times out. A broadcast (unit 0)
    /// waits for no reply: the line stays quiet for the turnaround delay, then it completes Good.
    /// </summary>
    private sealed class RtuLine
    {
        private readonly ModbusMaster master;
        private readonly IClock clock;
        private readonly IPlatformTimer frameTimer;
        private readonly IPlatformTimer lineTimer;
        private readonly long silenceNs;
        private readonly long characterNs;
        private readonly byte[] frame = new byte[ModbusLimits.RtuAduBytesMax];
        private readonly byte[] received = new byte[ModbusLimits.RtuAduBytesMax];
        private int receivedLength;
        private bool overflowed;
        private long quietAtNs;
        private long lastByteNs;
        private bool timedOutSinceLastFrame;
        private MasterSlot? broadcast;

        public RtuLine(ModbusMaster master, IModbusLoop loop, in SerialSettings serial)
        {
            this.master = master;
            clock = loop.Clock;
            var line = new SerialLineSettings(serial.Baud, ToParity(serial.Parity), serial.DataBits, serial.StopBits);
            line.Validate();
            silenceNs = RtuTiming.InterFrameSilenceNs(line);
            characterNs = RtuTiming.CharacterTimeNs(line);
            frameTimer = loop.CreateTimer(new Callback(this, frameEnded: true));
            lineTimer = loop.CreateTimer(new Callback(this, frameEnded: false));
        }

        /// <summary>t3.5 of this line.</summary>
        public long SilenceNs => silenceNs;

        public bool CanSend()
        {
            if (master.inFlightCount > 0 || broadcast is not null)
            {
                return false;
            }

            var now = clock.NowNs;
            if (now >= quietAtNs)
            {
                return true;
            }

            lineTimer.ArmAt(quietAtNs);
            return false;
        }

        public void Send(MasterSlot slot)
        {
            var length = RtuFrame.Encode(slot.Unit, slot.EncodedPdu, frame);
            receivedLength = 0;
            overflowed = false;
            timedOutSinceLastFrame = false;
            master.PutInFlight(slot);
            var sentNs = clock.NowNs + (length * characterNs);
            quietAtNs = sentNs + silenceNs;
            if (slot.IsBroadcast)
            {
                master.TakeOutOfFlight(slot);
                broadcast = slot;
                lineTimer.ArmAt(sentNs + master.options.BroadcastTurnaroundNs);
            }
            else
            {
                slot.Timer.ArmAt(sentNs + master.options.TimeoutNs);
            }

            master.Transmit(frame.AsSpan(0, length));
        }

        public void OnReadable(IStreamChannel channel)
        {
            while (channel == master.stream)
            {
                var room = received.AsSpan(Math.Min(receivedLength, received.Length));
                var read = channel.Read(room.IsEmpty ? master.receive : room);
                if (read.Status != IoStatus.Done)
                {
                    if (read.Status is IoStatus.Closed or IoStatus.Failed)
                    {
                        master.LinkLost(read.Error == DeviceError.None ? DeviceError.ClosedByPeer : read.Error);
                    }

                    return;
                }

                overflowed |= room.IsEmpty;
                receivedLength = room.IsEmpty ? receivedLength : receivedLength + read.Bytes;
                lastByteNs = clock.NowNs;
                quietAtNs = lastByteNs + silenceNs;
                frameTimer.ArmAt(quietAtNs);
            }
        }

        public void Reset()
        {
            receivedLength = 0;
            overflowed = false;
            frameTimer.Cancel();
            lineTimer.Cancel();
            if (broadcast is { } pending)
            {
                broadcast = null;
                master.Counters.LinkDownFailures++;
                master.Finish(pending, ModbusStatus.LinkDown, ExceptionCode.None, ModbusError.None, default);
            }
        }

        public void Cancel()
        {
            frameTimer.Cancel();
            lineTimer.Cancel();
        }

        /// <summary>A slot's attempt timed out: what arrives later for it is a late reply.</summary>
        public void NoteTimeout() => timedOutSinceLastFrame = true;

        private void OnFrameEnded(long nowNs)
        {
            if (nowNs < lastByteNs + silenceNs)
            {
                frameTimer.ArmAt(lastByteNs + silenceNs);
                return;
            }

            var slot = master.FirstInFlight();
            if (slot is not null && !overflowed && StillArriving(received.AsSpan(0, receivedLength)))
            {
                return;
            }

            var bytes = received.AsSpan(0, receivedLength);
            receivedLength = 0;
            var wasOverflowed = overflowed;
            overflowed = false;
            TakeFrame(slot, bytes, wasOverflowed);
            master.Pump();
        }

        private void TakeFrame(MasterSlot? slot, ReadOnlySpan<byte> bytes, bool wasOverflowed)
        {
            if (slot is null)
            {
                if (timedOutSinceLastFrame)
                {
                    master.Counters.LateReplies++;
                    timedOutSinceLastFrame = false;
                }
                else
                {
                    master.Counters.UnknownReplies++;
                }

                return;
            }

            var reply = RtuFrame.Decode(bytes);
            if (wasOverflowed || !reply.IsFrame)
            {
                master.TakeOutOfFlight(slot);
                master.Counters.InvalidReplies++;
                master.Finish(slot, ModbusStatus.Invalid, ExceptionCode.None, wasOverflowed ? ModbusError.RtuFrameTooLong : reply.Error, default);
                return;
            }

            if (reply.Unit != slot.Unit)
            {
                master.Counters.UnknownReplies++;
                return;
            }

            master.Answer(slot, reply.Pdu);
        }

        private void OnLineQuiet()
        {
            if (broadcast is { } done)
            {
                broadcast = null;
                master.Counters.Responses++;
                master.Finish(done, ModbusStatus.Good, ExceptionCode.None, ModbusError.None, default);
            }

            master.Pump();
        }

        /// <summary>True while the bytes are a prefix of a reply whose header promises more (see the class remarks).</summary>
        private static bool StillArriving(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length < 3)
            {
                return true;
            }

            var function = bytes[1];
            var expected = function switch
            {
                >= 0x80 => 5,
                0x01 or 0x02 or 0x03 or 0x04 or 0x17 => 5 + bytes[2],
                0x05 or 0x06 or 0x0F or 0x10 => 8,
                0x16 => 10,
                _ => 0,
            };
            return bytes.Length < expected;
        }

        private static SerialParity ToParity(Parity parity) => parity switch
        {
            Parity.Even => SerialParity.Even,
            Parity.Odd => SerialParity.Odd,
            _ => SerialParity.None,
        };

        private sealed class Callback(RtuLine line, bool frameEnded) : ITimerCallback
        {
            public void OnTimer(long nowNs)
            {
                if (frameEnded)
                {
                    line.OnFrameEnded(nowNs);
                }
                else
                {
                    line.OnLineQuiet();
                }
            }
        }
    }
}
