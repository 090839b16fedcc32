namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>How one request ended.</summary>
public enum ModbusStatus : byte
{
    /// <summary>The slave answered as asked; the data is valid.</summary>
    Good,

    /// <summary>No reply within the timeout, after every retry.</summary>
    Timeout,

    /// <summary>The slave answered with an exception (see <see cref="ModbusResult.Exception"/>).</summary>
    Exception,

    /// <summary>The link was down, or went down before the reply came.</summary>
    LinkDown,

    /// <summary>A reply came that does not answer the request (see <see cref="ModbusResult.Error"/>).</summary>
    Invalid,

    /// <summary>Not sent: the master's queue was full (a poll group's own result; <see cref="ModbusMaster.Submit"/> says it as <see cref="SubmitResult.QueueFull"/>).</summary>
    QueueFull,
}

/// <summary>What <see cref="ModbusMaster.Submit"/> did with a request.</summary>
public enum SubmitResult : byte
{
    /// <summary>Queued: its completion will be called exactly once.</summary>
    Queued,

    /// <summary>Every request slot is in use; nothing was queued and the completion is not called.</summary>
    QueueFull,

    /// <summary>The link is down (reconnecting); nothing was queued and the completion is not called.</summary>
    LinkDown,
}

/// <summary>The state of a master's link, as requests see it.</summary>
public enum MasterLinkState : byte
{
    /// <summary>Not started, or the first connection is coming up: requests queue.</summary>
    Connecting,

    /// <summary>Connected: requests are sent.</summary>
    Up,

    /// <summary>Lost, waiting out the backoff or reconnecting: requests are refused at once.</summary>
    Down,
}

/// <summary>The outcome of one request, handed to its completion with the response's data beside it.</summary>
public readonly record struct ModbusResult(
    ModbusStatus Status,
    byte Unit,
    ModbusRequest Request,
    ExceptionCode Exception,
    ModbusError Error,
    int Attempts,
    long Tag);

/// <summary>
/// Called once per queued request, on the loop. The data is the response's data
/// (packed bits for FC01/02, big-endian registers for FC03/04/23, FC43's objects), a view valid
/// only during the call: copy what is kept (<see cref="ModbusValues"/>). The callback may submit.
/// </summary>
public interface IModbusCompletion
{
    void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data);
}

/// <summary>
/// How a master behaves; control plane, checked at construction. Every count has a named maximum.
/// </summary>
public sealed record ModbusMasterOptions
{
    public const int QueueCapacityMax = 1_024;
    public const int PipelineDepthMax = 16;
    public const int RetriesMax = 10;

    /// <summary>How long one attempt waits for its reply, from its last byte sent.</summary>
    public long TimeoutNs { get; init; } = 1_000_000_000;

    /// <summary>Attempts after the first when a reply does not come in time (timeouts only: an exception or a bad reply is final).</summary>
    public int Retries { get; init; } = 1;

    /// <summary>Requests in flight at once on one TCP connection (1: wait for each reply). RTU is always 1.</summary>
    public int PipelineDepth { get; init; } = 1;

    /// <summary>Request slots: queued plus in flight. Preallocated.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>The first wait before reconnecting after the link went down; doubled on each failure.</summary>
    public long ReconnectDelayNsMin { get; init; } = 100_000_000;

    /// <summary>The cap of the doubling reconnect wait.</summary>
    public long ReconnectDelayNsMax { get; init; } = 5_000_000_000;

    /// <summary>RTU: how long the line stays quiet after a broadcast (unit 0), so slaves can carry it out.</summary>
    public long BroadcastTurnaroundNs { get; init; } = 100_000_000;

    public void Validate()
    {
        Require(TimeoutNs is >= 1_000_000 and <= 600_000_000_000, "TimeoutNs must be 1 ms .. 600 s");
        Require(Retries is >= 0 and <= RetriesMax, $"Retries must be 0..{RetriesMax}");
        Require(PipelineDepth is >= 1 and <= PipelineDepthMax, $"PipelineDepth must be 1..{PipelineDepthMax}");
        Require(QueueCapacity >= PipelineDepth && QueueCapacity <= QueueCapacityMax, $"QueueCapacity must be PipelineDepth..{QueueCapacityMax}");
        Require(ReconnectDelayNsMin >= 1_000_000 && ReconnectDelayNsMax >= ReconnectDelayNsMin, "ReconnectDelayNsMin must be at least 1 ms and at most ReconnectDelayNsMax");
        Require(BroadcastTurnaroundNs is >= 0 and <= 10_000_000_000, "BroadcastTurnaroundNs must be 0 .. 10 s");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException("Modbus master options: " + message);
        }
    }
}

/// <summary>What a master has done since it started; read them any time on the loop.</summary>
public sealed class ModbusMasterCounters
{
    /// <summary>Requests queued by Submit.</summary>
    public long Requests { get; internal set; }

    /// <summary>Attempts written to the line (first sends and retries).</summary>
    public long Sent { get; internal set; }

    /// <summary>Replies that answered their request (normal or exception).</summary>
    public long Responses { get; internal set; }

    public long Exceptions { get; internal set; }

    /// <summary>Requests that ended in Timeout (after their retries).</summary>
    public long Timeouts { get; internal set; }

    public long Retries { get; internal set; }

    /// <summary>Connections that came up again after the link was lost.</summary>
    public long Reconnects { get; internal set; }

    /// <summary>Replies to a request that had already timed out (an old transaction id): dropped.</summary>
    public long LateReplies { get; internal set; }

    /// <summary>Replies that match no request sent recently (an unknown transaction id or unit): dropped.</summary>
    public long UnknownReplies { get; internal set; }

    /// <summary>Replies that did not decode or did not answer their request; framing the stream lost counts here too.</summary>
    public long InvalidReplies { get; internal set; }

    /// <summary>Submits refused because the link was down.</summary>
    public long RefusedLinkDown { get; internal set; }

    /// <summary>Requests ended with LinkDown because the link went down while they were queued or in flight.</summary>
    public long LinkDownFailures { get; internal set; }
}
