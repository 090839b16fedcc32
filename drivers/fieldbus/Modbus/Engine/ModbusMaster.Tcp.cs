using Neokernel.Kernel.Devices;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>The TCP side of the master: MBAP frames, transaction ids, pipelining.</summary>
public sealed partial class ModbusMaster
{
    private readonly TcpFrameReassembler reassembler = new();
    private readonly ushort[] retiredIds = new ushort[RetiredIdsRemembered];
    private readonly byte[] frame = new byte[ModbusLimits.TcpAduBytesMax];
    private int retiredNext;
    private int retiredCount;
    private ushort nextTransactionId = 1;

    private void SendTcp(MasterSlot slot)
    {
        slot.TransactionId = NextTransactionId();
        var length = TcpFrame.Encode(slot.TransactionId, slot.Unit, slot.EncodedPdu, frame);
        PutInFlight(slot);
        slot.Timer.ArmAt(loop.Clock.NowNs + options.TimeoutNs);
        Transmit(frame.AsSpan(0, length));
    }

    /// <summary>The next id no request in flight uses; ids wrap at 65535 and skip 0 (some slaves treat 0 as "none").</summary>
    private ushort NextTransactionId()
    {
        while (true)
        {
            var id = nextTransactionId;
            nextTransactionId = (ushort)(id == ushort.MaxValue ? 1 : id + 1);
            if (InFlightWith(id) is null)
            {
                return id;
            }
        }
    }

    private MasterSlot? InFlightWith(ushort transactionId)
    {
        foreach (var slot in inFlight)
        {
            if (slot is not null && slot.TransactionId == transactionId)
            {
                return slot;
            }
        }

        return null;
    }

    private void Retire(ushort transactionId)
    {
        retiredIds[retiredNext] = transactionId;
        retiredNext = (retiredNext + 1) % retiredIds.Length;
        retiredCount = Math.Min(retiredCount + 1, retiredIds.Length);
    }

    private bool WasRetired(ushort transactionId) => Array.IndexOf(retiredIds, transactionId, 0, retiredCount) >= 0;

    /// <summary>Reads what arrived and cuts it into frames; a broken header resets the link (there is no boundary to find again).</summary>
    private void ReadTcp(IStreamChannel channel)
    {
        while (channel == stream)
        {
            var read = channel.Read(receive);
            if (read.Status != IoStatus.Done)
            {
                if (read.Status is IoStatus.Closed or IoStatus.Failed)
                {
                    LinkLost(read.Error == DeviceError.None ? DeviceError.ClosedByPeer : read.Error);
                }

                return;
            }

            if (!TakeTcpBytes(receive.AsSpan(0, read.Bytes)))
            {
                return;
            }
        }
    }

    private bool TakeTcpBytes(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            var step = reassembler.Append(bytes[offset..]);
            offset += step.Consumed;
            if (step.Status == ReassemblyStatus.Error)
            {
                ResetLink(step.Error);
                return false;
            }

            if (step.Status == ReassemblyStatus.Frame)
            {
                TakeTcpFrame(reassembler.Frame);
            }
        }

        return true;
    }

    private void TakeTcpFrame(TcpFrameResult reply)
    {
        var slot = InFlightWith(reply.TransactionId);
        if (slot is null || !reply.IsFrame)
        {
            if (WasRetired(reply.TransactionId))
            {
                Counters.LateReplies++;
            }
            else
            {
                Counters.UnknownReplies++;
            }

            return;
        }

        if (reply.Unit != slot.Unit)
        {
            // The right id from the wrong unit: not this request's answer; it may still come.
            Counters.UnknownReplies++;
            return;
        }

        Answer(slot, reply.Pdu);
    }
}
