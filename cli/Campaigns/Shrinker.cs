using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Campaigns;

/// <summary>
/// Reduces a failing run's fault schedule to a minimal one that still fails the same invariant
/// (Zeller's ddmin over the injections): every run of it is a deterministic replay on the same
/// seed, so the result is 1-minimal: taking away any one injection makes the run pass.
/// </summary>
internal sealed class Shrinker(CampaignSpec campaign, SystemDefinition system, ProgramCatalog catalog, ulong seed)
{
    /// <summary>Replays at most this many schedules; a bigger search stops with what it has and says so.</summary>
    public const int RunsMax = 2_000;

    public int Runs { get; private set; }

    public bool Exhausted { get; private set; }

    /// <summary>The invariant <paramref name="schedule"/> fails on this seed, or null when it passes.</summary>
    public Violation? Failure(FaultSchedule schedule, CancellationToken cancellation = default)
    {
        Runs++;
        var (checker, session, _, _) = CampaignRunner.Check(system, catalog, campaign, seed, schedule, cancellation);
        session.Kernel.Shutdown();
        return checker.First;
    }

    /// <summary>The smallest schedule found that still fails <paramref name="invariant"/>.</summary>
    public FaultSchedule Shrink(FaultSchedule failing, string invariant, CancellationToken cancellation = default)
    {
        var current = failing.Injections.ToList();
        var chunks = 2;
        while (current.Count >= 2 && !cancellation.IsCancellationRequested)
        {
            if (Runs >= RunsMax)
            {
                Exhausted = true;
                break;
            }

            var parts = Split(current, chunks);
            var reduced = false;

            // A chunk alone that fails, then a complement that fails.
            foreach (var part in parts)
            {
                if (Fails(part, invariant, cancellation))
                {
                    current = part;
                    chunks = 2;
                    reduced = true;
                    break;
                }
            }

            if (!reduced && chunks > 2)
            {
                foreach (var part in parts)
                {
                    var complement = current.Except(part).ToList();
                    if (Fails(complement, invariant, cancellation))
                    {
                        current = complement;
                        chunks = Math.Max(chunks - 1, 2);
                        reduced = true;
                        break;
                    }
                }
            }

            if (!reduced)
            {
                if (chunks >= current.Count)
                {
                    break;
                }

                chunks = Math.Min(current.Count, chunks * 2);
            }
        }

        return new FaultSchedule(current);
    }

    private bool Fails(List<FaultInjection> injections, string invariant, CancellationToken cancellation) =>
        Runs < RunsMax && Failure(new FaultSchedule(injections), cancellation) is { } violation && violation.Invariant.Name == invariant;

    private static List<List<FaultInjection>> Split(List<FaultInjection> items, int chunks)
    {
        var parts = new List<List<FaultInjection>>(chunks);
        var start = 0;
        for (var i = 0; i < chunks; i++)
        {
            var end = (int)((long)items.Count * (i + 1) / chunks);
            if (end > start)
            {
                parts.Add(items.GetRange(start, end - start));
            }

            start = end;
        }

        return parts;
    }
}
