using Neokernel.Contracts;

namespace Neokernel.Kernel.Control;

/// <summary>Serves one operation: reads the request, writes the reply, returns its length. Allocation-free.</summary>
internal delegate int KernelOperationHandler(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply);

/// <summary>One row of the dispatch table: the operation, the endpoint it belongs to, the right it needs, its handler.</summary>
internal sealed record KernelOperationEntry(KernelOperation Operation, string Endpoint, ControlRights Right, KernelOperationHandler Handler);

/// <summary>
/// The one dispatch table of the kernel's endpoints, in the shape of open62541's ua_services.c:
/// op code → {endpoint, required right, handler}; the request and reply layouts of each are in
/// <see cref="KernelMessages"/>. A status operation needs only the route (a Call capability on
/// kernel.status); a control operation needs its own right on the client's route as well.
/// </summary>
internal static class KernelOperations
{
    private static readonly KernelOperationEntry?[] ByCode = Build(
    [
        new(KernelOperation.Summary, KernelEndpoints.Status, ControlRights.None, KernelStatusOperations.Summary),
        new(KernelOperation.Service, KernelEndpoints.Status, ControlRights.None, KernelStatusOperations.Service),
        new(KernelOperation.ServiceStatistics, KernelEndpoints.Status, ControlRights.None, KernelStatusOperations.ServiceStatistics),
        new(KernelOperation.Region, KernelEndpoints.Status, ControlRights.None, KernelStatusOperations.Region),
        new(KernelOperation.RegionPoint, KernelEndpoints.Status, ControlRights.None, KernelStatusOperations.RegionPoint),
        new(KernelOperation.TraceCounters, KernelEndpoints.Status, ControlRights.None, KernelStatusOperations.TraceCounters),
        new(KernelOperation.Restart, KernelEndpoints.Control, ControlRights.Restart, KernelControlOperations.Restart),
        new(KernelOperation.Stop, KernelEndpoints.Control, ControlRights.Stop, KernelControlOperations.Stop),
        new(KernelOperation.Start, KernelEndpoints.Control, ControlRights.Start, KernelControlOperations.Start),
        new(KernelOperation.Acknowledge, KernelEndpoints.Control, ControlRights.Acknowledge, KernelControlOperations.Acknowledge),
    ]);

    /// <summary>The entry of <paramref name="operation"/> on <paramref name="endpoint"/>, or null when that endpoint has no such operation.</summary>
    public static KernelOperationEntry? Find(KernelOperation operation, string endpoint) =>
        ByCode[(byte)operation] is { } entry && string.Equals(entry.Endpoint, endpoint, StringComparison.Ordinal) ? entry : null;

    private static KernelOperationEntry?[] Build(KernelOperationEntry[] entries)
    {
        var table = new KernelOperationEntry?[256];
        foreach (var entry in entries)
        {
            if (table[(byte)entry.Operation] is not null)
            {
                throw new InvalidOperationException($"kernel operation {entry.Operation} is in the dispatch table twice");
            }

            table[(byte)entry.Operation] = entry;
        }

        return table;
    }
}
