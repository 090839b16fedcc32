using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Supervision;

public enum RestartStrategy
{
    /// <summary>Restart only the service that faulted.</summary>
    OneForOne,

    /// <summary>Restart the service that faulted and every service listed after it in the system file.</summary>
    RestForOne,
}

/// <summary>
/// Restarts services under their specs' policies, as an Erlang/OTP supervisor does: after a
/// fault, permanent and transient services are restarted after an exponential backoff, unless
/// that would exceed their restart intensity (more than maxRestarts within withinMs); then the
/// service is failed and the loops that depend on it drive their outputs to their safe state.
/// After a normal end (<see cref="IServiceContext.Complete"/>) only permanent services are
/// restarted, on the same backoff and intensity; transient and temporary ones stay stopped.
/// Temporary services are never restarted.
/// </summary>
public sealed class Supervisor
{
    private readonly SystemKernel kernel;

    internal Supervisor(SystemKernel kernel, RestartStrategy strategy)
    {
        this.kernel = kernel;
        Strategy = strategy;
    }

    public RestartStrategy Strategy { get; }

    /// <summary>The backoff before restart number <paramref name="recentRestarts"/>+1: initial, doubled each time, capped.</summary>
    public static long BackoffNs(long initialMs, long maxMs, int recentRestarts)
    {
        var delayMs = initialMs;
        for (var i = 0; i < recentRestarts && delayMs < maxMs; i++)
        {
            delayMs *= 2;
        }

        return Math.Min(delayMs, maxMs) * 1_000_000;
    }

    internal void OnFaulted(ServiceRuntime service)
    {
        if (kernel.IsShuttingDown)
        {
            return;
        }

        if (service.Spec.Restart.Policy == RestartPolicy.Temporary)
        {
            Fail(service, "restart policy is temporary: not restarted");
            return;
        }

        ScheduleRestart(service, afterFault: true);
    }

    /// <summary>The service ended normally and is stopped: permanent restarts it, transient and temporary leave it stopped.</summary>
    internal void OnCompleted(ServiceRuntime service)
    {
        if (kernel.IsShuttingDown || service.Spec.Restart.Policy != RestartPolicy.Permanent || service.State != ServiceState.Stopped)
        {
            return;
        }

        ScheduleRestart(service, afterFault: false);
    }

    /// <summary>
    /// Arms the restart after the backoff, or, past the restart intensity, fails a faulted service
    /// (safe state follows) and leaves a normally ended one stopped.
    /// </summary>
    private void ScheduleRestart(ServiceRuntime service, bool afterFault)
    {
        var restart = service.Spec.Restart;
        var now = kernel.Platform.Clock.NowNs;
        var windowNs = restart.WithinMs * 1_000_000;
        var recent = service.RestartsWithin(now, windowNs);
        if (recent >= restart.MaxRestarts)
        {
            var reason = $"restart intensity exhausted: {recent} restarts within {restart.WithinMs} ms (at most {restart.MaxRestarts})";
            if (afterFault)
            {
                Fail(service, reason);
            }
            else
            {
                kernel.Trace.Record(TraceEventKind.Fault, service.TraceId, $"not restarted after a normal end: {reason}");
            }

            return;
        }

        service.Lifecycle.Fire(ServiceTrigger.Restart);
        if (Strategy == RestartStrategy.RestForOne)
        {
            StopRest(service);
        }

        service.RestartTimer.ArmAt(now + BackoffNs(restart.BackoffInitialMs, restart.BackoffMaxMs, recent));
    }

    internal void OnRestartDue(ServiceRuntime service)
    {
        if (kernel.IsShuttingDown || service.State != ServiceState.Restarting)
        {
            return;
        }

        var now = kernel.Platform.Clock.NowNs;
        service.RecordRestart(now, service.Spec.Restart.WithinMs * 1_000_000);
        service.StartInstance();
        if (Strategy != RestartStrategy.RestForOne)
        {
            return;
        }

        foreach (var later in kernel.Services)
        {
            if (later.Order > service.Order && later.State == ServiceState.Restarting && !later.RestartTimer.IsArmed)
            {
                later.StartInstance();
            }
        }
    }

    /// <summary>Rest-for-one: the services listed after the faulted one stop now and start again with it.</summary>
    private void StopRest(ServiceRuntime service)
    {
        for (var i = kernel.Services.Count - 1; i >= 0; i--)
        {
            var later = kernel.Services[i];
            if (later.Order <= service.Order || later.State != ServiceState.Running)
            {
                continue;
            }

            later.StopInstance();
            later.Lifecycle.Fire(ServiceTrigger.Restart);
        }
    }

    private void Fail(ServiceRuntime service, string reason)
    {
        kernel.Trace.Record(TraceEventKind.Fault, service.TraceId, $"failed: {reason}");
        service.Lifecycle.Fire(ServiceTrigger.Fail);
        kernel.ApplySafeState(service);
    }
}
