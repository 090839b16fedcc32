using Neokernel.Kernel;
using Neokernel.Kernel.Services;

namespace Neokernel.Cli;

/// <summary>
/// What <c>sim</c> and <c>run</c> check as they go, and the exit code both end with:
/// <see cref="ExitSound"/> when the system ran to its end sound, <see cref="ExitViolation"/> when
/// a kernel invariant broke (or, with <c>--fail-on-fault</c>, a service faulted) or the kernel or
/// an output failed, <see cref="ExitFailedForGood"/> when it ran to its end but a service failed
/// for good (its restart intensity was exhausted and nobody acknowledged it). Usage errors exit 2.
/// </summary>
internal sealed class FaultWatch(SystemKernel kernel, bool failOnFault)
{
    public const int ExitSound = 0;

    public const int ExitViolation = 1;

    public const int ExitFailedForGood = 3;

    private long faultsSeen;

    /// <summary>The first violation now (an invariant, or a new fault under --fail-on-fault); null when there is none.</summary>
    public string? Check()
    {
        var violations = KernelInvariants.Check(kernel);
        if (violations.Count > 0)
        {
            return violations[0];
        }

        return failOnFault ? NewFault() : null;
    }

    /// <summary>The exit code of a run that ended without a violation, saying which services failed for good.</summary>
    public int EndCode(TextWriter error)
    {
        var failed = kernel.Services.Where(s => s.State == ServiceState.Failed).Select(s => s.Id).ToList();
        if (failed.Count == 0)
        {
            return ExitSound;
        }

        error.WriteLine($"neokernel: failed for good: {string.Join(", ", failed)} (exit code {ExitFailedForGood})");
        return ExitFailedForGood;
    }

    private string? NewFault()
    {
        var faults = kernel.Services.Sum(s => (long)s.Faults);
        if (faults == faultsSeen)
        {
            return null;
        }

        faultsSeen = faults;
        var faulty = kernel.Services.First(s => s.Faults > 0 && s.LastFault is not null);
        return $"service '{faulty.Id}' faulted ({faulty.LastFault}) and --fail-on-fault is set";
    }
}
