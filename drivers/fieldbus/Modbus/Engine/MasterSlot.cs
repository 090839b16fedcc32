using Neokernel.Kernel.Platform;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// One preallocated request: its encoded PDU, where its completion goes, and its own timeout
/// timer. A slot is free, queued or in flight; a master owns a fixed array of them, so running
/// requests allocates nothing.
/// </summary>
internal sealed class MasterSlot : ITimerCallback
{
    private readonly ModbusMaster master;

    public MasterSlot(ModbusMaster master, IModbusLoop loop, int index)
    {
        this.master = master;
        Index = index;
        Timer = loop.CreateTimer(this);
    }

    public int Index { get; }

    public IPlatformTimer Timer { get; }

    /// <summary>The request PDU as encoded at submit.</summary>
    public byte[] Pdu { get; } = new byte[ModbusLimits.PduBytesMax];

    public int PduLength { get; set; }

    public byte Unit { get; set; }

    public ModbusRequest Request { get; set; }

    public IModbusCompletion? Completion { get; set; }

    public long Tag { get; set; }

    /// <summary>Attempts sent so far (1 after the first send).</summary>
    public int Attempts { get; set; }

    /// <summary>TCP: the transaction id of the attempt in flight.</summary>
    public ushort TransactionId { get; set; }

    public bool InFlight { get; set; }

    public bool IsBroadcast => Unit == ModbusLimits.BroadcastUnit;

    public ReadOnlySpan<byte> EncodedPdu => Pdu.AsSpan(0, PduLength);

    public void OnTimer(long nowNs) => master.OnAttemptTimedOut(this);
}
