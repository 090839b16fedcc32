using System.Diagnostics;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>
/// Releases cyclic tasks from platform timers on the event-loop thread: absolute release times
/// on a fixed grid (phase + k × period, never drifting), wake-up latency and execution time per
/// cycle, and overrun handling by policy. In simulation the body takes no virtual time, so
/// overruns come only from injected faults; execution time is measured on the host's
/// monotonic clock for the statistics and the audit, never for the trace. The simulation
/// measures one cycle in <see cref="SimulationMeasureEvery"/>: two host clock reads per cycle
/// were a seventh of a 1 kHz loop's simulation time, and a sample of hundreds of thousands of
/// cycles gives the audit its p99.9 as well. With <see cref="ICycleFaults"/>, the simulation's
/// injected hangs and overruns act here.
/// </summary>
public sealed class TimerCyclicExecutor : ICyclicExecutor
{
    /// <summary>In simulation, one cycle in this many has its host execution time measured (the first cycle always).</summary>
    public const int SimulationMeasureEvery = 16;

    private readonly IPlatform platform;
    private readonly ICycleFaults? faults;
    private readonly int measureEvery;

    /// <param name="platform">The clock and timers the task releases on.</param>
    /// <param name="faults">The simulation's injected hangs and overruns; null: none.</param>
    /// <param name="measureEvery">One cycle in this many has its execution time measured on the host clock: 1 for every cycle (a paced run), <see cref="SimulationMeasureEvery"/> in simulation.</param>
    public TimerCyclicExecutor(IPlatform platform, ICycleFaults? faults = null, int measureEvery = 1)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentOutOfRangeException.ThrowIfLessThan(measureEvery, 1);
        this.platform = platform;
        this.faults = faults;
        this.measureEvery = measureEvery;
    }

    public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
    {
        ReleaseGrid.CheckStart(spec, body, observer);

        var task = new TimerCyclicTask(platform, spec, body, observer, faults, measureEvery);
        task.Start();
        return task;
    }

    private sealed class TimerCyclicTask(IPlatform platform, CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer, ICycleFaults? faults, int measureEvery)
        : ICyclicTaskHandle, ITimerCallback
    {
        private long startedNs;
        private readonly CyclicStatisticsRecorder recorder = new();
        private readonly OverrunStep overrun = new(spec);
        private IPlatformTimer? timer;
        private long releaseNs;
        private long cycleIndex;

        /// <summary>Cycles until the next one whose execution is measured (0: this one); a countdown, not a division per cycle.</summary>
        private int untilMeasured;
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

            var measured = untilMeasured == 0;
            untilMeasured = measured ? measureEvery - 1 : untilMeasured - 1;
            var started = measured ? Stopwatch.GetTimestamp() : 0;
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
            if (measured)
            {
                recorder.Record(nowNs - releaseNs, (long)Stopwatch.GetElapsedTime(started).TotalNanoseconds + extraNs);
            }
            else if (extraNs > 0)
            {
                // An injected overrun is in the statistics whichever cycle it falls on: the host's own part is left out.
                recorder.Record(nowNs - releaseNs, extraNs);
            }
            else
            {
                recorder.RecordUnmeasured(nowNs - releaseNs);
            }

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
