using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Testing;

/// <summary>A service timer on a test's virtual time, with the kernel's semantics: one-shot or periodic on a fixed grid.</summary>
internal sealed class FakeServiceTimer : IServiceTimer, ITimerCallback
{
    private readonly ITimerCallback callback;
    private readonly IClock clock;
    private readonly IPlatformTimer timer;
    private long dueNs;

    public FakeServiceTimer(IPlatform platform, ITimerCallback callback)
    {
        this.callback = callback;
        clock = platform.Clock;
        timer = platform.CreateTimer(this);
    }

    public bool IsArmed => timer.IsArmed;

    public long PeriodNs { get; private set; }

    public void ArmAt(long dueNs)
    {
        PeriodNs = 0;
        Arm(dueNs);
    }

    public void ArmAfter(long delayNs) => ArmAt(clock.NowNs + delayNs);

    public void ArmPeriodic(long periodNs, long firstDueNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(periodNs);
        PeriodNs = periodNs;
        Arm(firstDueNs);
    }

    public void Cancel() => timer.Cancel();

    public void OnTimer(long nowNs)
    {
        if (PeriodNs > 0)
        {
            Arm(dueNs + ((((nowNs - dueNs) / PeriodNs) + 1) * PeriodNs));
        }

        callback.OnTimer(nowNs);
    }

    private void Arm(long due)
    {
        dueNs = due;
        timer.ArmAt(due);
    }
}
