using Neokernel.Kernel.Manifests;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Campaigns;

/// <summary>
/// A fault campaign, read and checked from its file: the system under test, how long each run
/// lasts, the seeds, the fault matrix and the invariants every run must keep.
/// </summary>
internal sealed record CampaignSpec(
    string Name,
    string? Description,
    string SourceFile,
    string SystemPath,
    long DurationNs,
    long SampleNs,
    IReadOnlyList<ulong> Seeds,
    IReadOnlyList<FaultEntry> Faults,
    IReadOnlyList<Invariant> Invariants,
    CampaignPlot? Plot = null)
{
    /// <summary>The matrix's cells, in file order: each entry's targets, times (one cell each) or rate (one cell per target).</summary>
    public IReadOnlyList<CampaignCell> Cells()
    {
        var cells = new List<CampaignCell>();
        foreach (var entry in Faults)
        {
            foreach (var target in entry.Targets)
            {
                if (entry.Rate is { } rate)
                {
                    cells.Add(new CampaignCell(cells.Count, $"{FaultCatalog.Of(entry.Kind).Word}:{target} {rate.Count}/{FaultText.Duration(rate.PeriodNs)}", entry, target, -1));
                }
                else
                {
                    foreach (var at in entry.Times)
                    {
                        cells.Add(new CampaignCell(cells.Count, $"{FaultCatalog.Of(entry.Kind).Word}:{target}@{FaultText.Duration(at)}", entry, target, at));
                    }
                }
            }
        }

        return cells;
    }
}

/// <summary>What the report plots over time of a run (the campaign's <c>plot:</c>): operands as conditions name them.</summary>
internal sealed record CampaignPlot(Operand Setpoint, Operand ProcessValue, Operand Output);

/// <summary>A rate: <see cref="Count"/> injections every <see cref="PeriodNs"/>.</summary>
internal readonly record struct FaultRate(long Count, long PeriodNs);

/// <summary>
/// One entry of the fault matrix: a fault of the library on each of its targets, either at each
/// of its times or at a rate between <see cref="FromNs"/> and <see cref="UntilNs"/>.
/// </summary>
internal sealed record FaultEntry(
    FaultKind Kind,
    IReadOnlyList<string> Targets,
    IReadOnlyList<long> Times,
    FaultRate? Rate,
    long FromNs,
    long UntilNs,
    long DurationNs,
    double Value,
    SourceLocation Location);

/// <summary>One cell of the matrix: an entry on one target at one time (<see cref="AtNs"/>), or at its rate (<see cref="AtNs"/> -1).</summary>
internal sealed record CampaignCell(int Index, string Name, FaultEntry Entry, string Target, long AtNs)
{
    /// <summary>
    /// The cell's schedule in the run of <paramref name="seed"/>. At a rate, the window holds
    /// rate × window injections (rounded down), one in each of that many equal slots, at a time in
    /// its slot drawn uniformly from the seed's stream for this cell: a fault generator with
    /// jitter, which never bunches more than two injections closer than a slot (a restart
    /// intensity is a bound on bunching). Times are whole milliseconds, so a replay command stays
    /// readable, and integers, so every architecture draws alike.
    /// </summary>
    public FaultSchedule Schedule(ulong seed)
    {
        var entry = Entry;
        if (AtNs >= 0)
        {
            return new FaultSchedule([new FaultInjection(entry.Kind, Target, AtNs, entry.DurationNs, entry.Value)]);
        }

        var rate = entry.Rate!.Value;
        const long Millisecond = 1_000_000;
        var windowMs = (entry.UntilNs - entry.FromNs) / Millisecond;
        var count = (long)((Int128)(entry.UntilNs - entry.FromNs) * rate.Count / rate.PeriodNs);
        var random = new Kernel.Platform.DeterministicRandom(seed).Fork($"campaign/{Index}");
        var injections = new FaultInjection[count];
        for (var i = 0; i < count; i++)
        {
            var slotStartMs = windowMs * i / count;
            var slotMs = Math.Max(1, (windowMs * (i + 1) / count) - slotStartMs);
            var atNs = entry.FromNs + ((slotStartMs + random.NextInt64(slotMs)) * Millisecond);
            injections[i] = new FaultInjection(entry.Kind, Target, atNs, entry.DurationNs, entry.Value);
        }

        return new FaultSchedule(injections);
    }
}
