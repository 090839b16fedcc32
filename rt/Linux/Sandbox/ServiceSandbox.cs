using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// Child side: the service host enters the rest of its sandbox once it holds its grants and before
/// any service code runs. It switches every thread to the unprivileged user (glibc's setresuid
/// reaches every thread); the calling thread, which goes on to start the real-time task, keeps
/// CAP_SYS_NICE and CAP_IPC_LOCK across the switch when the timing grants a real-time class, and
/// every other thread loses every capability. Then it installs the seccomp filter on every thread
/// at once (TSYNC). The descriptors it already holds (memfds, doorbells, its socket to the kernel,
/// the devices the kernel opened) keep working: permissions are checked at open, not at use.
/// </summary>
public static class ServiceSandbox
{
    /// <summary>
    /// Enters the policy the kernel put in <see cref="SandboxPolicy.EnvironmentVariable"/>; does
    /// nothing when there is none (the kernel runs without a sandbox). Throws when a layer the
    /// kernel asked for cannot be applied: the service must not run outside it.
    /// </summary>
    public static void Enter()
    {
        var encoded = Environment.GetEnvironmentVariable(SandboxPolicy.EnvironmentVariable);
        if (string.IsNullOrEmpty(encoded))
        {
            return;
        }

        var policy = SandboxPolicy.DecodeForChild(encoded);
        SetNoNewPrivileges();
        if (policy.User is { } user)
        {
            SwitchUser(user, policy.RealtimeCapabilities);

            // Only this thread keeps CAP_IPC_LOCK: later mappings of the others must not be locked (see there).
            LinuxScheduling.LockFutureMappings = false;
        }

        if (policy.Seccomp)
        {
            SeccompFilter.Install(SeccompFilter.Build(RuntimeInformation.ProcessArchitecture, Environment.ProcessId, policy.AcceptsConnections, policy.RetainsValues));
        }
    }

    /// <summary>PR_SET_NO_NEW_PRIVS on the calling thread: nothing it or its children execute can gain a privilege.</summary>
    internal static void SetNoNewPrivileges()
    {
        if (SandboxNative.prctl(SandboxNative.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        {
            throw SandboxNative.Error("prctl(PR_SET_NO_NEW_PRIVS)", "this kernel is older than Linux 3.5");
        }
    }

    /// <summary>Drops every capability but <paramref name="keep"/> from the calling thread's bounding set (needs CAP_SETPCAP).</summary>
    internal static void DropBoundingSet(ReadOnlySpan<int> keep)
    {
        // Read once: the loop's bound was read from procfs at every step, 42 file reads a start.
        var last = LastCapability();
        for (var capability = 0; capability <= last; capability++)
        {
            if (keep.Contains(capability))
            {
                continue;
            }

            if (SandboxNative.prctl(SandboxNative.PR_CAPBSET_DROP, (nuint)capability, 0, 0, 0) != 0)
            {
                throw SandboxNative.Error($"prctl(PR_CAPBSET_DROP, {capability})", "EPERM: this thread lacks CAP_SETPCAP");
            }
        }
    }

    /// <summary>
    /// Every thread to <paramref name="user"/>, no supplementary groups; this thread keeps the
    /// real-time capabilities when <paramref name="realtime"/>, no others, none ambient, none inheritable.
    /// </summary>
    private static unsafe void SwitchUser(SandboxUser user, bool realtime)
    {
        DropBoundingSet(realtime ? [SandboxNative.CAP_SYS_NICE, SandboxNative.CAP_IPC_LOCK] : []);
        Check(SandboxNative.prctl(SandboxNative.PR_SET_KEEPCAPS, realtime ? 1u : 0u, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
        Check(SandboxNative.setgroups(0, null), "setgroups(0)");
        Check(SandboxNative.setresgid(user.GroupId, user.GroupId, user.GroupId), $"setresgid({user.GroupId})");
        Check(SandboxNative.setresuid(user.UserId, user.UserId, user.UserId), $"setresuid({user.UserId})");
        // What the kernel did not have (a bounding set without CAP_SYS_NICE), the child cannot keep: its
        // real-time task then meets the refusal it would meet anyway, and says how to fix it.
        var kept = realtime ? ((1u << SandboxNative.CAP_SYS_NICE) | (1u << SandboxNative.CAP_IPC_LOCK)) & SandboxNative.PermittedCapabilities() : 0u;
        Check(SandboxNative.SetCapabilities(kept), "capset");
        Check(SandboxNative.prctl(SandboxNative.PR_CAP_AMBIENT, SandboxNative.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        Check(SandboxNative.prctl(SandboxNative.PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 0)");
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw SandboxNative.Error(call, "the service host could not leave root; run with --no-sandbox to start services without the sandbox");
        }
    }

    /// <summary>The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap), 40 on Linux 6.</summary>
    private static int LastCapability()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return 40;
        }
    }
}
