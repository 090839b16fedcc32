namespace Neokernel.Gateway.Plant;

/// <summary>
/// How a call the gateway makes on the running system (a restart through <c>kernel.control</c>, a
/// setpoint or mode through a loop's command endpoint) ended: one list for every call, so the
/// OPC UA side maps it to a StatusCode in one place.
/// </summary>
public enum CallOutcome : byte
{
    /// <summary>Done: the kernel or the loop carried it out.</summary>
    Ok = 0,

    /// <summary>Sent; the completion will tell how it ended. Only ever a return value, never a completion.</summary>
    Pending = 1,

    /// <summary>The gateway's route does not grant this operation (kernel.control answered Denied; the denial is traced).</summary>
    Denied = 2,

    /// <summary>The service's state does not allow it (a Failed service not acknowledged), or a loop's mode does not (manual output in auto).</summary>
    InvalidState = 3,

    /// <summary>No service with that id, no loop with that id.</summary>
    NotFound = 4,

    /// <summary>The loop refused the value: not finite, or not a mode.</summary>
    InvalidValue = 5,

    /// <summary>No reply within the call's timeout; a reply arriving later is dropped.</summary>
    Timeout = 6,

    /// <summary>Too many calls are outstanding, or the endpoint's queue is full: back-pressure, try later.</summary>
    Busy = 7,

    /// <summary>The request could not be sent: the capability was revoked (the gateway is stopping) or the message is too large.</summary>
    Unavailable = 8,

    /// <summary>The answer made no sense to the gateway (malformed, an unknown operation or command): a version mismatch.</summary>
    Failed = 9,

    /// <summary>The value may not be written: the gateway shows it read-only, or the network does not list it as settable.</summary>
    NotWritable = 10,
}

/// <summary>
/// Where a call's end is told, on the gateway's event loop. The token is the
/// caller's own value from the call (an OPC UA request handle), so one completion object serves
/// every call and nothing is allocated per call.
/// </summary>
public interface ICallCompletion
{
    void OnCompleted(long token, CallOutcome outcome);
}

/// <summary>How fresh a view of the running system is.</summary>
public enum ViewFreshness : byte
{
    /// <summary>Nothing read yet: the first refresh has not completed.</summary>
    NeverRead = 0,

    /// <summary>The last refresh completed.</summary>
    Fresh = 1,

    /// <summary>The last refresh failed (a timeout, a refused request, a bad reply): the values are the last ones read.</summary>
    Stale = 2,
}

/// <summary>Why a view went stale.</summary>
public enum StaleReason : byte
{
    None = 0,

    /// <summary>A request got no reply within its timeout.</summary>
    Timeout = 1,

    /// <summary>The request could not be sent (the queue was full, the capability revoked).</summary>
    SendRefused = 2,

    /// <summary>The provider answered with a status other than Ok.</summary>
    Refused = 3,

    /// <summary>The reply did not decode.</summary>
    Malformed = 4,
}
