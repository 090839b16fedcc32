using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;

namespace Neokernel.Kernel.Services;

/// <summary>
/// A timer of one service instance, made by <see cref="IServiceContext.CreateTimer"/>: one-shot
/// (<see cref="ArmAt"/>, <see cref="ArmAfter"/>) or periodic (<see cref="ArmPeriodic"/>). Its
/// callback runs on the service's event loop, never concurrently with the service's other
/// callbacks; a callback that throws faults the service like a handler that throws. Arming,
/// re-arming and cancelling allocate nothing, so a driver can re-arm a timeout per request. The
/// timer belongs to its instance: when the instance is torn down it is cancelled and never fires
/// again, whatever the service still holds.
/// </summary>
public interface IServiceTimer
{
    /// <summary>Armed: it will fire unless cancelled or re-armed first.</summary>
    bool IsArmed { get; }

    /// <summary>The period of a periodic timer, 0 for a one-shot.</summary>
    long PeriodNs { get; }

    /// <summary>Fires once at <paramref name="dueNs"/> (absolute, on the service's clock); replaces any earlier arming.</summary>
    void ArmAt(long dueNs);

    /// <summary>Fires once <paramref name="delayNs"/> from now.</summary>
    void ArmAfter(long delayNs);

    /// <summary>
    /// Fires at <paramref name="firstDueNs"/> and then every <paramref name="periodNs"/> on that grid
    /// (a late firing does not shift the grid; releases missed while the loop was busy are skipped).
    /// </summary>
    void ArmPeriodic(long periodNs, long firstDueNs);

    void Cancel();
}

/// <summary>The bound on timers: what a program that makes many (a fieldbus master, one per request slot) sizes itself by.</summary>
public static class ServiceTimers
{
    /// <summary>Timers one service instance may make with <see cref="IServiceContext.CreateTimer"/>.</summary>
    public const int PerInstanceMax = 64;
}

/// <summary>
/// One service timer over one platform timer. It fires only while the clock capability it was
/// made under is valid: the kernel revokes that capability with the instance, and the context
/// cancels the platform timer at teardown, so a revoked timer neither fires nor can be re-armed.
/// </summary>
internal sealed class ServiceTimer : IServiceTimer, ITimerCallback
{
    /// <summary>The shortest period: a periodic timer faster than this would flood the loop.</summary>
    public const long PeriodNsMin = 100_000;

    private readonly ITimerCallback callback;
    private readonly Capability clock;
    private readonly ServiceRuntime runtime;
    private readonly IClock time;
    private readonly IPlatformTimer timer;
    private long dueNs;

    public ServiceTimer(IPlatform platform, ITimerCallback callback, Capability clock, ServiceRuntime runtime)
    {
        this.callback = callback;
        this.clock = clock;
        this.runtime = runtime;
        time = platform.Clock;
        timer = platform.CreateTimer(this);
    }

    public bool IsArmed => timer.IsArmed && clock.IsValid;

    public long PeriodNs { get; private set; }

    public void ArmAt(long dueNs)
    {
        PeriodNs = 0;
        Arm(dueNs);
    }

    public void ArmAfter(long delayNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayNs);
        ArmAt(time.NowNs + delayNs);
    }

    public void ArmPeriodic(long periodNs, long firstDueNs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(periodNs, PeriodNsMin);
        PeriodNs = periodNs;
        Arm(firstDueNs);
    }

    public void Cancel() => timer.Cancel();

    /// <summary>Teardown of the instance: never fires again.</summary>
    public void Revoke()
    {
        timer.Cancel();
        PeriodNs = 0;
    }

    public void OnTimer(long nowNs)
    {
        if (!clock.IsValid)
        {
            return;
        }

        if (PeriodNs > 0)
        {
            // Next point of the grid after now: re-armed before the callback, which may cancel it.
            var missed = (nowNs - dueNs) / PeriodNs;
            Arm(dueNs + ((missed + 1) * PeriodNs));
        }

        try
        {
            callback.OnTimer(nowNs);
        }
        catch (Exception exception)
        {
            timer.Cancel();
            runtime.HandleFault($"timer callback threw {exception.GetType().Name}: {exception.Message}");
        }
    }

    private void Arm(long due)
    {
        if (!clock.IsValid)
        {
            throw new CapabilityDeniedException(clock.Holder, CapabilityKind.Clock, clock.ObjectName, "the capability was revoked: this timer's instance was torn down");
        }

        dueNs = due;
        timer.ArmAt(due);
    }
}

/// <summary>Service timers seen as the platform's one-shot timers, for engines written against <see cref="IPlatformTimer"/> (Modbus, OPC UA) that run in a service and on a bare platform alike.</summary>
public static class ServiceTimerExtensions
{
    /// <summary>The same three operations on the service timer, no allocation per use.</summary>
    public static IPlatformTimer AsPlatformTimer(this IServiceTimer timer) => new OneShot(timer);

    private sealed class OneShot(IServiceTimer timer) : IPlatformTimer
    {
        public bool IsArmed => timer.IsArmed;

        public void ArmAt(long dueNs) => timer.ArmAt(dueNs);

        public void Cancel() => timer.Cancel();
    }
}
