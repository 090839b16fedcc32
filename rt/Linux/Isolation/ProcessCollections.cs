namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// Garbage collections and allocated bytes of a service host process, counted from the moment its
/// service started. A process whose cyclic thread must never be stopped by the collector shows
/// zero collections here for its whole life. A collection of generation 1 or 2 also collects
/// generation 0, so <see cref="Gen0"/> counts every collection.
/// </summary>
public readonly record struct ProcessCollections(long Gen0, long Gen1, long Gen2, long AllocatedBytes)
{
    /// <summary>Collections of any generation.</summary>
    public long Collections => Gen0;

    /// <summary>The calling process's counts since it started. Allocation-free: safe on a cyclic thread.</summary>
    public static ProcessCollections SinceProcessStart() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: false));

    /// <summary>These counts less those of <paramref name="baseline"/>: what happened after it.</summary>
    public ProcessCollections Since(ProcessCollections baseline) =>
        new(Gen0 - baseline.Gen0, Gen1 - baseline.Gen1, Gen2 - baseline.Gen2, AllocatedBytes - baseline.AllocatedBytes);

    /// <summary>Both counts together: over several processes of one service.</summary>
    public ProcessCollections Plus(ProcessCollections other) =>
        new(Gen0 + other.Gen0, Gen1 + other.Gen1, Gen2 + other.Gen2, AllocatedBytes + other.AllocatedBytes);
}

/// <summary>What each isolated service's processes collected after start: the running process, and every process so far.</summary>
public sealed class CollectionLedger
{
    private readonly Dictionary<string, ProcessCollections> running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ProcessCollections Total, int Processes)> ended = new(StringComparer.Ordinal);

    /// <summary>The running processes' counts, by service id. A snapshot, for displays on other threads.</summary>
    public IReadOnlyDictionary<string, ProcessCollections> Running
    {
        get
        {
            lock (running)
            {
                return new Dictionary<string, ProcessCollections>(running, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Per service: the counts of every process that published them (ended and running) and how many processes that was.</summary>
    public IReadOnlyDictionary<string, (ProcessCollections Total, int Processes)> Ever
    {
        get
        {
            lock (running)
            {
                var all = new Dictionary<string, (ProcessCollections Total, int Processes)>(ended, StringComparer.Ordinal);
                foreach (var (serviceId, counts) in running)
                {
                    var previous = all.GetValueOrDefault(serviceId);
                    all[serviceId] = (previous.Total.Plus(counts), previous.Processes + 1);
                }

                return all;
            }
        }
    }

    /// <summary>The latest counts the running process of <paramref name="serviceId"/> published.</summary>
    public void Note(string serviceId, ProcessCollections counts)
    {
        lock (running)
        {
            running[serviceId] = counts;
        }
    }

    /// <summary>The process of <paramref name="serviceId"/> ended: its last counts join the service's total.</summary>
    public void EndProcess(string serviceId)
    {
        lock (running)
        {
            if (!running.Remove(serviceId, out var last))
            {
                return;
            }

            var previous = ended.GetValueOrDefault(serviceId);
            ended[serviceId] = (previous.Total.Plus(last), previous.Processes + 1);
        }
    }
}
