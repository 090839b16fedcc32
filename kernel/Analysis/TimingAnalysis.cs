namespace Neokernel.Kernel.Analysis;

/// <summary>One fixed-priority task as the analysis sees it.</summary>
public readonly record struct TimedTask(string Id, int Priority, long PeriodNs, long DeadlineNs, long ExecutionNs);

/// <summary>
/// Fixed-priority response-time analysis (Joseph and Pandya; Audsley et al.): the worst-case
/// response of a task is its own execution plus the interference of every higher-priority
/// task released meanwhile, R = C + Σ ceil(R / Tj) · Cj, iterated to a fixed point. The audit
/// uses it with measured execution times to find the lowest priority a task still meets its
/// deadline at, which is the priority it needs; anything above that is granted authority it
/// does not use.
/// </summary>
public static class TimingAnalysis
{
    /// <summary>Fixed-point iterations before the analysis gives up (the response diverges).</summary>
    public const int IterationsMax = 1_000;

    /// <summary>Worst-case response time, or null when it exceeds the deadline.</summary>
    public static long? ResponseTimeNs(long executionNs, long deadlineNs, IReadOnlyList<TimedTask> higherPriority)
    {
        ArgumentNullException.ThrowIfNull(higherPriority);
        var response = executionNs;
        for (var i = 0; i < IterationsMax; i++)
        {
            var next = executionNs;
            foreach (var task in higherPriority)
            {
                next += ((response + task.PeriodNs - 1) / task.PeriodNs) * task.ExecutionNs;
            }

            if (next > deadlineNs)
            {
                return null;
            }

            if (next == response)
            {
                return response;
            }

            response = next;
        }

        return null;
    }

    /// <summary>
    /// The lowest priority (1..99) at which <paramref name="task"/> still meets its deadline
    /// against <paramref name="others"/> on the same CPU, each keeping its own priority;
    /// null when even its granted priority is not enough.
    /// </summary>
    public static int? NeededPriority(TimedTask task, IReadOnlyList<TimedTask> others)
    {
        ArgumentNullException.ThrowIfNull(others);
        var candidates = new SortedSet<int> { 1 };
        foreach (var other in others)
        {
            if (other.Priority + 1 <= task.Priority)
            {
                candidates.Add(other.Priority + 1);
            }
        }

        candidates.Add(task.Priority);
        foreach (var priority in candidates)
        {
            var higher = others.Where(o => o.Priority >= priority).ToList();
            if (ResponseTimeNs(task.ExecutionNs, task.DeadlineNs, higher) is not null)
            {
                return priority;
            }
        }

        return null;
    }
}
