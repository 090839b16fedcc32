using System.Diagnostics;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// A Modbus RTU slave on one serial line. Bytes collect until the line has been silent for t3.5
/// (<see cref="RtuTiming.InterFrameSilenceNs"/>, a timer of the loop re-armed at each read), and
/// what collected is one frame. A frame with a bad CRC, of the wrong length, or that is no request
/// is dropped without a word (Modbus over Serial Line V1.02, 2.4.1: the master's timeout handles
/// it); one for another address is ignored; a broadcast (unit 0) write is carried out and not
/// answered. The answer goes out when the timer fires, so it follows the request by at least the
/// t3.5 the spec requires between frames. The t1.5 inter-character rule is not enforced: on a
/// pseudo-terminal or USB adapter, bytes arrive in bursts whose gaps say nothing about the wire,
/// and the CRC catches a frame that two senders garbled.
/// </summary>
public sealed class ModbusRtuSlave : IStreamHandler, ITimerCallback, IDisposable
{
    private readonly ModbusSlave slave;
    private readonly IStreamDeviceProvider streams;
    private readonly DeviceAddress address;
    private readonly IModbusLoop loop;
    private readonly byte unit;
    private readonly long silenceNs;
    private readonly byte[] frame = new byte[ModbusLimits.RtuAduBytesMax];
    private readonly byte[] discard = new byte[64];
    private readonly byte[] pdu = new byte[ModbusLimits.PduBytesMax];
    private readonly byte[] output = new byte[ModbusLimits.RtuAduBytesMax];
    private IPlatformTimer? silenceTimer;
    private IStreamChannel? line;
    private int frameLength;
    private bool overflow;
    private int outputStart;
    private int outputEnd;

    public ModbusRtuSlave(ModbusSlave slave, IStreamDeviceProvider streams, DeviceAddress address, IModbusLoop loop, byte unit)
    {
        ArgumentNullException.ThrowIfNull(slave);
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(loop);
        StreamAddressChecks.RequireOpenable(address);
        if (address.Transport != DeviceTransport.Serial)
        {
            throw new ArgumentException($"'{address.Text}' {address.Describe()}: an RTU slave needs a serial line", nameof(address));
        }

        if (unit is < 1 or > ModbusLimits.UnitMax)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, $"an RTU slave's address is 1..{ModbusLimits.UnitMax} (0 is broadcast)");
        }

        this.slave = slave;
        this.streams = streams;
        this.address = address;
        this.loop = loop;
        this.unit = unit;
        silenceNs = RtuTiming.InterFrameSilenceNs(LineSettings(address.Serial));
    }

    public ModbusSlave Slave => slave;

    public ModbusSlaveCounters Counters => slave.Counters;

    public byte Unit => unit;

    /// <summary>t3.5 on this line: the silence that ends a frame.</summary>
    public long InterFrameSilenceNs => silenceNs;

    /// <summary>The line's state: Up once opened, Down (with <see cref="LastError"/>) when the device is missing or went away.</summary>
    public LinkState LinkState => line?.State ?? LinkState.Down;

    public DeviceError LastError => line?.LastError ?? DeviceError.None;

    /// <summary>The RTU timing's view of a device URI's serial settings.</summary>
    public static SerialLineSettings LineSettings(SerialSettings serial) => new(
        serial.Baud,
        serial.Parity switch { Parity.Even => SerialParity.Even, Parity.Odd => SerialParity.Odd, _ => SerialParity.None },
        serial.DataBits,
        serial.StopBits);

    /// <summary>Opens the line. Control plane; a missing device is a link that goes down, not an exception.</summary>
    public void Start()
    {
        if (line is not null)
        {
            throw new InvalidOperationException($"the Modbus RTU slave on {address.Path} is already started");
        }

        silenceTimer = loop.CreateTimer(this);
        line = streams.Open(address, this);
    }

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
    {
        if (state == LinkState.Down)
        {
            silenceTimer?.Cancel();
            frameLength = 0;
            overflow = false;
            outputStart = outputEnd = 0;
        }
    }

    /// <summary>Takes every byte that arrived; the frame ends t3.5 after the last of them.</summary>
    public void OnReadable(IStreamChannel channel)
    {
        var took = false;
        while (true)
        {
            var room = frame.Length - frameLength;
            var read = room > 0 ? channel.Read(frame.AsSpan(frameLength)) : channel.Read(discard);
            if (!read.IsDone)
            {
                break;
            }

            took = true;
            if (room > 0)
            {
                frameLength += read.Bytes;
            }
            else
            {
                overflow = true;
            }
        }

        if (took)
        {
            silenceTimer!.ArmAt(loop.Clock.NowNs + silenceNs);
        }
    }

    public void OnWritable(IStreamChannel channel) => Flush();

    /// <summary>t3.5 of silence: what collected is one frame.</summary>
    public void OnTimer(long nowNs)
    {
        var length = frameLength;
        var tooLong = overflow;
        frameLength = 0;
        overflow = false;
        if (tooLong)
        {
            Counters.Drop();
            return;
        }

        Handle(frame.AsSpan(0, length));
    }

    public void Dispose()
    {
        silenceTimer?.Cancel();
        line?.Dispose();
    }

    private void Handle(ReadOnlySpan<byte> adu)
    {
        var decoded = RtuFrame.Decode(adu);
        if (!decoded.IsFrame)
        {
            Counters.Drop();
            return;
        }

        if (decoded.Unit != unit && !decoded.IsBroadcast)
        {
            Counters.ForOtherUnit();
            return;
        }

        var length = slave.Answer(decoded.Pdu, pdu, decoded.IsBroadcast);
        if (length == 0)
        {
            return;
        }

        if (outputStart < outputEnd)
        {
            // The last answer is still going out: a master that sent again before it was read broke
            // the one-request-at-a-time rule of the line, and this answer is dropped like its request.
            Counters.Drop();
            return;
        }

        outputStart = 0;
        outputEnd = RtuFrame.Encode(unit, pdu.AsSpan(0, length), output);
        Flush();
    }

    private void Flush()
    {
        while (outputStart < outputEnd && line is not null)
        {
            var written = line.Write(output.AsSpan(outputStart, outputEnd - outputStart));
            if (!written.IsDone)
            {
                if (written.Status != IoStatus.WouldBlock)
                {
                    outputStart = outputEnd = 0;
                }

                return;
            }

            outputStart += written.Bytes;
        }

        Debug.Assert(outputStart <= outputEnd, "never more written than queued");
        outputStart = outputEnd = 0;
    }
}
