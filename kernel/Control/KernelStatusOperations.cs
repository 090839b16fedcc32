using Neokernel.Kernel.Manifests;
using Neokernel.Contracts;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Control;

/// <summary>kernel.status: the kernel's view, paged one service, region or point per request.</summary>
internal static class KernelStatusOperations
{
    public static int Summary(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (request.Length != 1)
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.Malformed, reply);
        }

        var trace = kernel.Kernel.Trace;
        var summary = new SummaryReply(kernel.Kernel.Services.Count, kernel.Regions.Count, KernelEndpointServer.TraceKinds, kernel.Kernel.Platform.Clock.NowNs, trace.Count, trace.Digest);
        return KernelMessages.EncodeSummary(summary, reply);
    }

    public static int Service(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (!TryService(kernel, request, reply, out var service, out var length))
        {
            return length;
        }

        var flags = ServiceFlags.None;
        flags |= service.InSafeState ? ServiceFlags.InSafeState : ServiceFlags.None;
        flags |= service.HasStatistics ? ServiceFlags.HasStatistics : ServiceFlags.None;
        flags |= service.Acknowledged ? ServiceFlags.Acknowledged : ServiceFlags.None;
        var fields = new ServiceFields(KindOf(service.Spec.Kind), (ServiceStateCode)service.State, flags, service.Incarnation, service.Restarts, service.Faults);
        return KernelMessages.EncodeService(fields, service.Id, service.LastFault, reply);
    }

    public static int ServiceStatistics(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (!TryService(kernel, request, reply, out var service, out var length))
        {
            return length;
        }

        var statistics = service.Statistics;
        return KernelMessages.EncodeStatistics(statistics is not null, Wire(statistics ?? default), reply);
    }

    public static int Region(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (!KernelMessages.TryDecodeIndex(request, out var index))
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.Malformed, reply);
        }

        if (index >= kernel.Regions.Count)
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.NotFound, reply);
        }

        var region = kernel.Regions[index];
        return KernelMessages.EncodeRegion(region.PointCount, region.Name, region.Writer, reply);
    }

    public static int RegionPoint(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (!KernelMessages.TryDecodeRegionPoint(request, out var regionIndex, out var point))
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.Malformed, reply);
        }

        if (regionIndex >= kernel.Regions.Count || point >= kernel.Regions[regionIndex].PointCount)
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.NotFound, reply);
        }

        return KernelMessages.EncodeRegionPoint(kernel.Regions[regionIndex].PointNames[point], reply);
    }

    public static int TraceCounters(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (!KernelMessages.TryDecodeTraceCounters(request, out var first))
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.Malformed, reply);
        }

        if (first >= KernelEndpointServer.TraceKinds)
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.NotFound, reply);
        }

        Span<long> counts = stackalloc long[Math.Min(KernelEndpointServer.TraceKinds - first, KernelMessages.TraceCountsPerReplyMax)];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = kernel.Kernel.Trace.CountOf((Trace.TraceEventKind)(first + i));
        }

        return KernelMessages.EncodeTraceCounters(first, counts, reply);
    }

    private static bool TryService(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply, out ServiceRuntime service, out int length)
    {
        service = null!;
        length = 0;
        if (!KernelMessages.TryDecodeIndex(request, out var index))
        {
            length = KernelMessages.EncodeStatus(KernelReplyStatus.Malformed, reply);
            return false;
        }

        if (index >= kernel.Kernel.Services.Count)
        {
            length = KernelMessages.EncodeStatus(KernelReplyStatus.NotFound, reply);
            return false;
        }

        service = kernel.Kernel.Services[index];
        return true;
    }

    private static ServiceKindCode KindOf(ServiceKind kind) => kind switch
    {
        ServiceKind.Driver => ServiceKindCode.Driver,
        ServiceKind.Controller => ServiceKindCode.Controller,
        ServiceKind.Gateway => ServiceKindCode.Gateway,
        ServiceKind.Plant => ServiceKindCode.Plant,
        _ => ServiceKindCode.Unknown,
    };

    private static TaskStatistics Wire(in CyclicStatistics s) => new(
        s.Cycles, s.Overruns, s.ConsecutiveOverruns,
        s.LatencyNsMin, s.LatencyNsMean, s.LatencyNsP99, s.LatencyNsP999, s.LatencyNsMax,
        s.ExecutionNsMin, s.ExecutionNsMean, s.ExecutionNsP99, s.ExecutionNsP999, s.ExecutionNsMax);
}
