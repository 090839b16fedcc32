namespace Neokernel.Contracts;

/// <summary>
/// The kernel's own endpoints. A service reaches them like any other endpoint: it lists them under
/// <c>endpoints.uses</c> and the system file routes it; a route to <see cref="Control"/> names the
/// operations it grants (<c>operations: [restart]</c>). Every request is at most
/// <see cref="MaxMessageBytes"/> long and so is every reply, which is why the status is paged:
/// one service, one region, one point per request.
/// </summary>
public static class KernelEndpoints
{
    /// <summary>Read the kernel's status: services, their statistics, regions and their points, trace counters.</summary>
    public const string Status = "kernel.status";

    /// <summary>Restart, stop, start and acknowledge services, each operation its own right.</summary>
    public const string Control = "kernel.control";

    /// <summary>The name that stands for the kernel as these endpoints' provider; no service may take it.</summary>
    public const string Provider = "kernel";

    /// <summary>Endpoint names with this prefix are the kernel's; no service may provide one.</summary>
    public const string ReservedPrefix = "kernel.";

    public const int MaxMessageBytes = 256;

    /// <summary>Requests each client may have queued (each isolated client has a lane of this depth).</summary>
    public const int QueueDepth = 8;

    /// <summary>Longest service id, as manifests allow it.</summary>
    public const int ServiceIdBytesMax = 48;

    /// <summary>Longest name (region, point) a status reply carries; a longer one is cut at a character boundary.</summary>
    public const int NameBytesMax = 64;

    /// <summary>Longest last-fault text a service reply carries; a longer one is cut at a character boundary.</summary>
    public const int FaultBytesMax = 120;
}

/// <summary>The operations of the kernel's endpoints: the first byte of each request.</summary>
public enum KernelOperation : byte
{
    None = 0,

    /// <summary>kernel.status: counts of services, regions and trace kinds, the time and the trace digest.</summary>
    Summary = 1,

    /// <summary>kernel.status: service #i: id, kind, state, incarnation, restarts, faults, safe state, last fault.</summary>
    Service = 2,

    /// <summary>kernel.status: service #i's cyclic statistics (isolated services' too, from their status page).</summary>
    ServiceStatistics = 3,

    /// <summary>kernel.status: region #i: name, writer, point count.</summary>
    Region = 4,

    /// <summary>kernel.status: region #i, point #j: its name.</summary>
    RegionPoint = 5,

    /// <summary>kernel.status: the trace's event counts by kind, from a first kind on.</summary>
    TraceCounters = 6,

    /// <summary>kernel.control: stop the service if it runs, then start it.</summary>
    Restart = 16,

    /// <summary>kernel.control: stop the service (also cancels a pending restart).</summary>
    Stop = 17,

    /// <summary>kernel.control: start a stopped service, or a failed one that was acknowledged.</summary>
    Start = 18,

    /// <summary>kernel.control: acknowledge a failed service: its restart history is cleared and it may start again.</summary>
    Acknowledge = 19,
}

/// <summary>The first byte of every reply of the kernel's endpoints.</summary>
public enum KernelReplyStatus : byte
{
    Ok = 0,

    /// <summary>No such operation on this endpoint.</summary>
    UnknownOperation = 1,

    /// <summary>The request has the wrong length or a bad field.</summary>
    Malformed = 2,

    /// <summary>No service, region or point with that index or id.</summary>
    NotFound = 3,

    /// <summary>The client's route does not grant this operation; the denial is traced.</summary>
    Denied = 4,

    /// <summary>The service's state does not allow it (start a running service, acknowledge one that has not failed).</summary>
    InvalidState = 5,
}

/// <summary>What a service is, on the wire (the manifest's kind).</summary>
public enum ServiceKindCode : byte
{
    Driver = 0,
    Controller = 1,
    Gateway = 2,
    Plant = 3,
    Unknown = 255,
}

/// <summary>A service's lifecycle state, on the wire; the same numbers as the kernel's ServiceState.</summary>
public enum ServiceStateCode : byte
{
    Created = 0,
    Starting = 1,
    Running = 2,
    Stopping = 3,
    Stopped = 4,
    Faulted = 5,
    Restarting = 6,
    Failed = 7,
}

/// <summary>Flags of a service reply.</summary>
[Flags]
public enum ServiceFlags : byte
{
    None = 0,

    /// <summary>Stopped by the kernel with its outputs driven to their declared safe values.</summary>
    InSafeState = 1,

    /// <summary>It runs a cyclic task whose statistics <see cref="KernelOperation.ServiceStatistics"/> returns.</summary>
    HasStatistics = 2,

    /// <summary>It failed and an operator acknowledged it: it may start again.</summary>
    Acknowledged = 4,
}

/// <summary>The kernel.control operations a route may grant, as the manifest names them.</summary>
[Flags]
public enum ControlRights : byte
{
    None = 0,
    Restart = 1,
    Stop = 2,
    Start = 4,
    Acknowledge = 8,
}

/// <summary>The manifest words for <see cref="ControlRights"/> (<c>routes[].operations</c>).</summary>
public static class ControlOperationNames
{
    public static IReadOnlyList<string> All { get; } = ["restart", "stop", "start", "acknowledge"];

    /// <summary>The right a manifest word grants, or None for a word that is not an operation.</summary>
    public static ControlRights Parse(string word) => word switch
    {
        "restart" => ControlRights.Restart,
        "stop" => ControlRights.Stop,
        "start" => ControlRights.Start,
        "acknowledge" => ControlRights.Acknowledge,
        _ => ControlRights.None,
    };

    /// <summary>The right a control operation needs; None for an operation that is not a control one.</summary>
    public static ControlRights RightOf(KernelOperation operation) => operation switch
    {
        KernelOperation.Restart => ControlRights.Restart,
        KernelOperation.Stop => ControlRights.Stop,
        KernelOperation.Start => ControlRights.Start,
        KernelOperation.Acknowledge => ControlRights.Acknowledge,
        _ => ControlRights.None,
    };
}
