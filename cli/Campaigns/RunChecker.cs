using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Campaigns;

/// <summary>The first violation of a run: which invariant, when, and what was seen.</summary>
internal sealed record Violation(Invariant Invariant, long AtNs, string Text);

/// <summary>
/// Checks a campaign's invariants on one running system, sample by sample: safety at every sample
/// (a response, once its trigger has held for its time), liveness from the end of the last fault
/// (and the recovery time it took), the kernel's own invariants every kernel interval. The run
/// goes on to its end after a violation, so its trace digest is the whole run's, as a replay's is.
/// </summary>
internal sealed class RunChecker
{
    /// <summary>The kernel's invariants are checked this often, as <c>sim</c> checks them.</summary>
    public const long KernelIntervalNs = SimulationSession.CheckIntervalNs;

    private readonly SystemKernel kernel;
    private readonly IReadOnlyList<Invariant> invariants;
    private readonly ConditionReader reader;
    private readonly long[] triggerSinceNs;
    private readonly long[] holdsSinceNs;
    private readonly bool[] judged;
    private long nextKernelCheckNs;

    public RunChecker(SystemKernel kernel, IDeviceProvider trueDevices, IReadOnlyList<Invariant> invariants, long lastFaultEndNs)
    {
        this.kernel = kernel;
        this.invariants = invariants;
        LastFaultEndNs = lastFaultEndNs;
        reader = new ConditionReader(kernel, trueDevices);
        triggerSinceNs = new long[invariants.Count];
        holdsSinceNs = new long[invariants.Count];
        judged = new bool[invariants.Count];
        Array.Fill(triggerSinceNs, -1);
        Array.Fill(holdsSinceNs, -1);
        foreach (var invariant in invariants)
        {
            if (invariant.Condition is { } condition)
            {
                reader.Watch(condition);
            }

            if (invariant.After is { } after)
            {
                reader.Watch(after);
            }
        }
    }

    /// <summary>When the schedule's last fault ends (an instant fault: when it strikes); -1 without faults.</summary>
    public long LastFaultEndNs { get; }

    public Violation? First { get; private set; }

    /// <summary>Safety responses whose trigger came and whose condition then held in time, and those that did not.</summary>
    public int ResponsesInTime { get; private set; }

    public int ResponsesLate { get; private set; }

    /// <summary>True when a kernel invariant broke or the kernel threw.</summary>
    public bool KernelFailed { get; private set; }

    /// <summary>True when a safety invariant broke.</summary>
    public bool SafetyFailed { get; private set; }

    /// <summary>The schedule's last end: the latest of each injection's end (its time, for an instant fault).</summary>
    public static long LastEnd(FaultSchedule schedule) =>
        schedule.Count == 0 ? -1 : schedule.Injections.Max(i => i.Descriptor.Lasts ? i.EndNs : i.AtNs);

    /// <summary>Looks at the system now; call after each sample's events ran.</summary>
    public void Sample(long nowNs)
    {
        reader.Refresh();
        for (var i = 0; i < invariants.Count; i++)
        {
            var invariant = invariants[i];
            switch (invariant.Kind)
            {
                case InvariantKind.Safety when invariant.After is null:
                    if (!reader.Holds(invariant.Condition!))
                    {
                        SafetyFailed = true;
                        Fail(invariant, nowNs, $"{invariant.Condition!.Text} does not hold");
                    }

                    break;
                case InvariantKind.Safety:
                    Response(i, invariant, nowNs);
                    break;
                case InvariantKind.Liveness:
                    if (reader.Holds(invariant.Condition!))
                    {
                        if (holdsSinceNs[i] < 0)
                        {
                            holdsSinceNs[i] = nowNs;
                        }
                    }
                    else
                    {
                        holdsSinceNs[i] = -1;
                    }

                    break;
            }
        }

        if (nowNs >= nextKernelCheckNs)
        {
            nextKernelCheckNs = nowNs + KernelIntervalNs;
            CheckKernel(nowNs);
        }
    }

    /// <summary>The kernel threw while the run's events ran: the run's kernel failed.</summary>
    public void KernelThrew(long nowNs, Exception exception)
    {
        KernelFailed = true;
        Fail(KernelInvariant, nowNs, $"the kernel threw {exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>
    /// Judges liveness at the run's end: each liveness condition must have held without a break
    /// from at most its <c>within</c> after the last fault to the end. Returns the recovery time (the
    /// longest over liveness invariants, from the last fault's end to the hold's start, 0 when it
    /// held throughout), or -1 without faults or liveness invariants.
    /// </summary>
    public long Finish(long endNs)
    {
        var recovery = -1L;
        for (var i = 0; i < invariants.Count; i++)
        {
            var invariant = invariants[i];
            if (invariant.Kind != InvariantKind.Liveness)
            {
                continue;
            }

            var since = holdsSinceNs[i];
            var from = Math.Max(LastFaultEndNs, 0);
            if (since < 0 || since > from + invariant.WithinNs)
            {
                var said = since < 0 ? "does not hold at the end" : $"held only from {Format.Seconds(since)}";
                Fail(invariant, endNs, $"{invariant.Condition!.Text} {said}; it must hold from {Format.Seconds(from + invariant.WithinNs)} ({Format.Duration(invariant.WithinNs)} after the last fault) to the end");
                continue;
            }

            if (LastFaultEndNs >= 0)
            {
                recovery = Math.Max(recovery, Math.Max(0, since - LastFaultEndNs));
            }
        }

        return recovery;
    }

    private void Response(int i, Invariant invariant, long nowNs)
    {
        if (!reader.Holds(invariant.After!))
        {
            triggerSinceNs[i] = -1;
            judged[i] = false;
            return;
        }

        if (triggerSinceNs[i] < 0)
        {
            triggerSinceNs[i] = nowNs;
        }

        var held = nowNs - triggerSinceNs[i];
        if (held < invariant.WithinNs)
        {
            return;
        }

        var holds = reader.Holds(invariant.Condition!);
        if (!judged[i])
        {
            // The first sample at or past the response time judges this trigger's response.
            judged[i] = true;
            if (holds)
            {
                ResponsesInTime++;
            }
            else
            {
                ResponsesLate++;
            }
        }

        if (!holds)
        {
            SafetyFailed = true;
            Fail(invariant, nowNs, $"{invariant.Condition!.Text} does not hold {Format.Duration(held)} after {invariant.After!.Text} began");
        }
    }

    private void CheckKernel(long nowNs)
    {
        var violations = KernelInvariants.Check(kernel);
        if (violations.Count > 0)
        {
            KernelFailed = true;
            Fail(KernelInvariant, nowNs, violations[0]);
        }
    }

    private static readonly Invariant KernelInvariant = new("kernel: sound", InvariantKind.Kernel, null, null, 0);

    private void Fail(Invariant invariant, long nowNs, string text)
    {
        First ??= new Violation(invariant, nowNs, text);
    }
}
