using System.Diagnostics;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>
/// Releases cyclic tasks from platform timers on the event-loop thread: absolute release times
/// on a fixed grid (phase + k × period, never drifting), wake-up latency and execution time per
/// cycle, and overrun handling by policy. In simulation the body takes no virtual time, so
/// overruns come only from injected faults; execution time is measured on the host's
/// monotonic clock for the statistics and the audit, never for the trace. With
/// <see cref="ICycleFaults"/>, the simulation's injected hangs and overruns act here.
/// </summary>
public sealed class TimerCyclicExecutor(IPlatform platform, ICycleFaults? faults = null) : ICyclicExecutor
{
    public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
    {
        ReleaseGrid.CheckStart(spec, body, observer);

        var task = new TimerCyclicTask(platform, spec, body, observer, faults);
        task.Start();
        return task;
    }

    private sealed class TimerCyclicTask(IPlatform platform, CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer, ICycleFaults? faults)
        : ICyclicTaskHandle, ITimerCallback
    {
        private long startedNs;
        private readonly CyclicStatisticsRecorder recorder = new();
        private readonly OverrunStep overrun = new(spec);
        private IPlatformTimer? timer;
        private long releaseNs;
        private long cycleIndex;
        private bool stopped;

        public CyclicStatistics Statistics => recorder.Snapshot();

        public void Start()
        {
            timer = platform.CreateTimer(this);
            var now = platform.Clock.NowNs;
            startedNs = now;
            releaseNs = ReleaseGrid.FirstReleaseAfter(spec, now);
            timer.ArmAt(releaseNs);
        }

        public void Stop()
        {
            stopped = true;
            timer?.Cancel();
        }

        public void OnTimer(long nowNs)
        {
            if (stopped)
            {
                return;
            }

            if (faults is not null && faults.IsHung(spec.ServiceId, startedNs, nowNs))
            {
                // A hung task completes no cycle and sends no heartbeat; it looks again at the
                // next release, as a stopped process would be found still stopped.
                releaseNs = ReleaseGrid.FirstReleaseAfter(spec, nowNs);
                timer!.ArmAt(releaseNs);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                body.Execute(new CycleInfo(cycleIndex, releaseNs, nowNs));
            }
            catch (Exception exception)
            {
                stopped = true;
                observer.OnBodyFault(exception);
                return;
            }

            var extraNs = faults?.ExtraExecutionNs(spec.ServiceId, nowNs) ?? 0;
            var executionNs = (long)Stopwatch.GetElapsedTime(started).TotalNanoseconds + extraNs;
            recorder.Record(nowNs - releaseNs, executionNs);
            cycleIndex++;
            if (stopped)
            {
                return;
            }

            var endNs = platform.Clock.NowNs + extraNs;
            if (HandleOverrun(endNs))
            {
                return;
            }

            observer.OnCycleCompleted(endNs);
            if (!stopped)
            {
                timer!.ArmAt(releaseNs);
            }
        }

        /// <summary>Sets the next release; true when the watchdog stopped the task.</summary>
        private bool HandleOverrun(long endNs)
        {
            var decision = overrun.After(releaseNs, endNs);
            if (!decision.IsOverrun)
            {
                recorder.RecordOnTime();
                releaseNs = decision.NextReleaseNs;
                return false;
            }

            recorder.RecordOverrun();
            observer.OnOverrun(decision.LateNs);
            if (decision.Verdict == CycleVerdict.Watchdog)
            {
                stopped = true;
                observer.OnWatchdog(decision.ConsecutiveOverruns);
                return true;
            }

            releaseNs = decision.NextReleaseNs;
            return false;
        }
    }
}

/// <summary>Faults that act in the executor (the simulation's hang and overrun injections).</summary>
public interface ICycleFaults
{
    /// <summary>True when the task of <paramref name="serviceId"/> started at <paramref name="taskStartNs"/> is hung at <paramref name="nowNs"/>.</summary>
    bool IsHung(string serviceId, long taskStartNs, long nowNs);

    /// <summary>Execution time added to a cycle of <paramref name="serviceId"/> that starts at <paramref name="nowNs"/>; 0 for none.</summary>
    long ExtraExecutionNs(string serviceId, long nowNs);
}
