using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// Kernel side: starts a service host process already inside the layers that must hold on every
/// one of its threads from its first instruction. Landlock, no_new_privs, the capability bounding
/// set and namespaces belong to a thread, not a process, and this kernel (Landlock ABI 7) has no
/// LANDLOCK_RESTRICT_SELF_TSYNC to put them on threads the .NET runtime started before
/// <c>Main</c>. A process inherits them from the thread that forks it, so a fresh thread of the
/// kernel takes them on, starts the process (Process.Start forks on the calling thread), and
/// ends: the kernel's own threads are untouched, and the child's runtime starts every thread it
/// will ever have inside the sandbox. The other way, restricting the child's main thread early
/// and executing itself again, costs a second process start on every restart.
/// <para>
/// A thread the spawner creates inherits its restrictions, so it must create none that outlive
/// it. The one the runtime would create there is its signal-handling thread, which it starts on
/// the first Process.Start and which then starts thread-pool threads for the kernel: it is
/// started first, on the caller's (unrestricted) thread (<see cref="EnsureSignalThread"/>).
/// </para>
/// </summary>
public static class SandboxedSpawn
{
    /// <summary>Capabilities the child needs for a moment as root, to switch to its user and drop the rest itself.</summary>
    private static readonly int[] SwitchingCapabilities = [6 /* CAP_SETGID */, 7 /* CAP_SETUID */, 8 /* CAP_SETPCAP */];

    /// <summary>
    /// Starts <paramref name="info"/> under <paramref name="policy"/> (the child's half goes into its
    /// environment). <paramref name="first"/>, when given, runs on the spawner thread before the
    /// sandbox closes (the child's cgroup, which the spawner joins so the child is born in it).
    /// </summary>
    public static Process Start(ProcessStartInfo info, SandboxPolicy policy, Action? first = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(policy);
        info.Environment[SandboxPolicy.EnvironmentVariable] = policy.EncodeForChild();
        var network = policy.OwnNetwork ? EmptyNetwork() : -1;
        return OnThreadOfItsOwn(info, () =>
        {
            first?.Invoke();
            EnterOnThisThread(policy, network);
        });
    }

    /// <summary>
    /// Starts <paramref name="info"/> from a fresh thread that runs <paramref name="prepare"/> first
    /// and ends after the start: whatever <paramref name="prepare"/> gives that thread (a sandbox
    /// layer, a cgroup) the child inherits, and no thread of the kernel keeps.
    /// </summary>
    public static Process OnThreadOfItsOwn(ProcessStartInfo info, Action prepare)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(prepare);
        EnsureSignalThread();
        Process? started = null;
        Exception? failure = null;
        var spawner = new Thread(() =>
        {
            try
            {
                prepare();
                started = Process.Start(info);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                failure = exception;
            }
        })
        { Name = "sandboxed-spawn", IsBackground = true };
        spawner.Start();
        spawner.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"the start of '{info.FileName}' failed: {failure.Message}", failure);
        }

        return started ?? throw new InvalidOperationException($"'{info.FileName}' did not start");
    }

    private static readonly Lock SignalThreadGate = new();
    private static bool signalThreadStarted;

    /// <summary>
    /// Starts the runtime's signal-handling thread on this thread, once: creating a signal
    /// registration initializes it (the registration itself is dropped at once; SIGCONT keeps its
    /// default action).
    /// </summary>
    private static void EnsureSignalThread()
    {
        lock (SignalThreadGate)
        {
            if (signalThreadStarted)
            {
                return;
            }

            if (OperatingSystem.IsLinux())
            {
                PosixSignalRegistration.Create(PosixSignal.SIGCONT, static _ => { }).Dispose();
            }

            signalThreadStarted = true;
        }
    }

    private static readonly Lock NetworkGate = new();
    private static int emptyNetworkFd = -1;

    /// <summary>
    /// The empty network namespace (a loopback interface, down, and nothing else) the service
    /// processes of this kernel run in, made once: a descriptor of it, open for the life of the
    /// process. Making a namespace for every child (unshare) cost 0.5 ms of each spawn, and its
    /// teardown after each exit more work for the OS; entering one (setns) costs microseconds. Sharing it
    /// opens no path between services: none of them can make a socket (seccomp), bring the
    /// interface up (no CAP_NET_ADMIN) or reach an abstract Unix socket out of its own Landlock
    /// domain, and every socket a service holds was made by the kernel, in the kernel's namespace.
    /// It is made on a thread of its own that ends, so no thread of the kernel stays in it.
    /// </summary>
    private static int EmptyNetwork()
    {
        lock (NetworkGate)
        {
            if (emptyNetworkFd >= 0)
            {
                return emptyNetworkFd;
            }

            Exception? failure = null;
            var maker = new Thread(() =>
            {
                if (SandboxNative.unshare(SandboxNative.CLONE_NEWNET) != 0)
                {
                    failure = SandboxNative.Error("unshare(CLONE_NEWNET)", "the service processes would share the kernel's network; run with --no-sandbox on a machine that cannot make network namespaces");
                    return;
                }

                emptyNetworkFd = LinuxNative.open("/proc/thread-self/ns/net", LinuxNative.O_RDONLY | LinuxNative.O_CLOEXEC);
                if (emptyNetworkFd < 0)
                {
                    failure = SandboxNative.Error("open(/proc/thread-self/ns/net)", "the empty network namespace could not be kept for the service processes");
                }
            })
            { Name = "sandbox-network", IsBackground = true };
            maker.Start();
            maker.Join();
            return failure is null ? emptyNetworkFd : throw failure;
        }
    }

    /// <summary>no_new_privs, the bounding set, the network namespace, Landlock: this thread, and what it forks, for good.</summary>
    private static void EnterOnThisThread(SandboxPolicy policy, int network)
    {
        ServiceSandbox.SetNoNewPrivileges();
        if (policy.User is not null)
        {
            ServiceSandbox.DropBoundingSet(keep: policy.RealtimeCapabilities ? [.. SwitchingCapabilities, SandboxNative.CAP_SYS_NICE, SandboxNative.CAP_IPC_LOCK] : SwitchingCapabilities);
        }

        if (policy.OwnNetwork && SandboxNative.setns(network, SandboxNative.CLONE_NEWNET) != 0)
        {
            throw SandboxNative.Error("setns(CLONE_NEWNET)", "the service process would share the kernel's network; run with --no-sandbox on a machine that cannot enter network namespaces");
        }

        if (policy.LandlockAbi > 0)
        {
            Landlock.RestrictThisThread(policy.LandlockAbi, policy.ReadPaths, policy.WritePaths);
        }
    }
}
