using System.Diagnostics;

namespace Neokernel.Fieldbus.Modbus;

public enum ReassemblyStatus : byte
{
    /// <summary>Every byte given was taken; the frame is not complete yet.</summary>
    NeedMore,

    /// <summary>A whole frame is in <see cref="TcpFrameReassembler.Frame"/>; bytes after it were not taken.</summary>
    Frame,

    /// <summary>The stream broke its framing; the reassembler stays faulted until <see cref="TcpFrameReassembler.Reset"/>.</summary>
    Error,
}

/// <summary>What one <see cref="TcpFrameReassembler.Append"/> did: how many input bytes it took, and whether a frame is ready.</summary>
public readonly record struct Reassembly(ReassemblyStatus Status, int Consumed, ModbusError Error);

/// <summary>
/// Cuts a TCP byte stream into Modbus frames. A socket read returns any number of bytes: part of a
/// header, several frames, the end of one and the start of the next. Append takes bytes until one
/// frame is whole, and says how many it took so the caller appends the rest after handling the frame.
/// One ADU-sized buffer, allocated with the reassembler; nothing per frame. A bad header leaves the
/// stream without a frame boundary to resynchronize on, so it faults the reassembler and the
/// connection should be closed (Messaging on TCP/IP V1.0b, 4.3.1).
/// </summary>
public sealed class TcpFrameReassembler
{
    private readonly byte[] buffer = new byte[ModbusLimits.TcpAduBytesMax];
    private int filled;
    private int frameBytes;
    private bool frameReady;
    private ModbusError fault;

    /// <summary>The error that faulted the stream, or None.</summary>
    public ModbusError Fault => fault;

    /// <summary>Bytes held of the frame in progress (0 right after a frame was taken).</summary>
    public int BufferedBytes => frameReady ? 0 : filled;

    /// <summary>The frame the last Append completed; valid until the next Append or Reset.</summary>
    public TcpFrameResult Frame => frameReady
        ? TcpFrame.Decode(buffer.AsSpan(0, frameBytes))
        : new TcpFrameResult(ModbusError.TcpFrameTruncated, 0, 0, default);

    /// <summary>Takes bytes from <paramref name="input"/> up to the end of the next frame.</summary>
    public Reassembly Append(ReadOnlySpan<byte> input)
    {
        if (fault != ModbusError.None)
        {
            return new Reassembly(ReassemblyStatus.Error, 0, fault);
        }
        if (frameReady)
        {
            frameReady = false;
            filled = 0;
            frameBytes = 0;
        }

        var consumed = TakeHeader(input);
        if (fault != ModbusError.None)
        {
            return new Reassembly(ReassemblyStatus.Error, consumed, fault);
        }
        if (frameBytes == 0)
        {
            return new Reassembly(ReassemblyStatus.NeedMore, consumed, ModbusError.None);
        }

        var take = Math.Min(frameBytes - filled, input.Length - consumed);
        input.Slice(consumed, take).CopyTo(buffer.AsSpan(filled));
        filled += take;
        consumed += take;
        Debug.Assert(filled <= frameBytes, "the reassembler never holds more than one frame");
        if (filled < frameBytes)
        {
            return new Reassembly(ReassemblyStatus.NeedMore, consumed, ModbusError.None);
        }
        frameReady = true;
        return new Reassembly(ReassemblyStatus.Frame, consumed, ModbusError.None);
    }

    /// <summary>Forgets the frame in progress and any fault: for a new connection.</summary>
    public void Reset()
    {
        filled = 0;
        frameBytes = 0;
        frameReady = false;
        fault = ModbusError.None;
    }

    private int TakeHeader(ReadOnlySpan<byte> input)
    {
        if (frameBytes != 0)
        {
            return 0;
        }
        var take = Math.Min(ModbusLimits.MbapHeaderBytes - filled, input.Length);
        input[..take].CopyTo(buffer.AsSpan(filled));
        filled += take;
        if (filled == ModbusLimits.MbapHeaderBytes)
        {
            fault = TcpFrame.CheckHeader(buffer, out frameBytes);
        }
        return take;
    }
}
