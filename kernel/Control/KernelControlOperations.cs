using Neokernel.Contracts;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Control;

/// <summary>
/// kernel.control: an operator's (a gateway's) hand on the lifecycle. Each runs on the kernel's
/// event loop like the supervisor does. An operator's restart is not the supervisor's: it does not
/// count towards the restart intensity. A service that failed for good starts again only after it
/// was acknowledged.
/// </summary>
internal static class KernelControlOperations
{
    public static int Restart(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply) =>
        Run(kernel, KernelOperation.Restart, request, reply, static service =>
        {
            switch (service.State)
            {
                case ServiceState.Running:
                    service.StopInstance();
                    service.StartInstance();
                    return KernelReplyStatus.Ok;
                case ServiceState.Restarting:
                    service.RestartTimer.Cancel();
                    service.StartInstance();
                    return KernelReplyStatus.Ok;
                default:
                    return StartIfAllowed(service);
            }
        });

    public static int Stop(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply) =>
        Run(kernel, KernelOperation.Stop, request, reply, static service =>
        {
            switch (service.State)
            {
                case ServiceState.Running or ServiceState.Created or ServiceState.Stopped:
                    service.StopInstance();
                    return KernelReplyStatus.Ok;
                case ServiceState.Restarting:
                    service.RestartTimer.Cancel();
                    service.Lifecycle.Fire(ServiceTrigger.Stop);
                    return KernelReplyStatus.Ok;
                default:
                    return KernelReplyStatus.InvalidState;
            }
        });

    public static int Start(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply) =>
        Run(kernel, KernelOperation.Start, request, reply, StartIfAllowed);

    public static int Acknowledge(KernelEndpointServer kernel, ReadOnlySpan<byte> request, Span<byte> reply) =>
        Run(kernel, KernelOperation.Acknowledge, request, reply, static service =>
        {
            if (service.State != ServiceState.Failed)
            {
                return KernelReplyStatus.InvalidState;
            }

            service.Acknowledge();
            return KernelReplyStatus.Ok;
        });

    private static KernelReplyStatus StartIfAllowed(ServiceRuntime service)
    {
        if (service.State is ServiceState.Created or ServiceState.Stopped || (service.State == ServiceState.Failed && service.Acknowledged))
        {
            service.StartInstance();
            return KernelReplyStatus.Ok;
        }

        return KernelReplyStatus.InvalidState;
    }

    private static int Run(KernelEndpointServer kernel, KernelOperation code, ReadOnlySpan<byte> request, Span<byte> reply, Func<ServiceRuntime, KernelReplyStatus> operation)
    {
        if (!KernelMessages.TryDecodeControl(request, out var id))
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.Malformed, reply);
        }

        var service = kernel.FindService(id);
        if (service is null)
        {
            return KernelMessages.EncodeStatus(KernelReplyStatus.NotFound, reply);
        }

        var status = kernel.Kernel.IsShuttingDown ? KernelReplyStatus.InvalidState : operation(service);
        kernel.TraceControl(service, code, status);
        return KernelMessages.EncodeStatus(status, reply);
    }
}
