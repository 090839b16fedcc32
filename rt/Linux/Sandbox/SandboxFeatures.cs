namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// Which sandbox layers this machine can apply: Landlock (its ABI), seccomp filters, changing the
/// user and dropping capabilities (the kernel runs as root), and a network namespace of its own
/// (root too). Probed once by <see cref="Probe"/>; tests inject their own to reach the warnings.
/// </summary>
public sealed record SandboxFeatures(int LandlockAbi, bool Seccomp, bool Root)
{
    /// <summary>This machine, as this process sees it.</summary>
    public static SandboxFeatures Probe() => new(Landlock.Abi(), SeccompFilter.IsSupported(), SandboxNative.geteuid() == 0);

    /// <summary>One line per layer this machine lacks, saying what goes unenforced; empty when every layer applies.</summary>
    public IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        if (!Seccomp)
        {
            missing.Add("this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER): service processes may make any system call, sockets and fork included");
        }

        if (LandlockAbi <= 0)
        {
            missing.Add("this kernel has no Landlock (Linux 5.13 or later, with landlock in the lsm= list): service processes may read and write whatever their user may");
        }

        if (!Root)
        {
            missing.Add("neokernel does not run as root: service processes keep its user, and get no network namespace of their own (seccomp still denies socket calls)");
        }

        return missing;
    }
}
