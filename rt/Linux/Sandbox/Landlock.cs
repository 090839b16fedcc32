using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// Landlock for the calling thread: a ruleset that handles every file-system right this kernel
/// knows (so each is denied unless a rule allows it), TCP bind and connect (ABI 4), and signals
/// and abstract Unix sockets out of the domain (ABI 6), with rules that allow reading (and
/// executing) only the given paths. Nothing may be created, removed, renamed or truncated
/// anywhere, and the only files that may be written are those beneath <see cref="ProcPath"/>: the
/// runtime names its threads by writing /proc/self/task/TID/comm, and procfs's own permissions
/// (the process's unprivileged user) bound what else there is; and a service with a retain store
/// may make, replace and write files beneath that store. A Landlock domain is inherited by every thread and process the
/// restricted thread creates, and cannot be left.
/// </summary>
internal static unsafe class Landlock
{
    /// <summary>procfs, the one tree where a file may be written (thread names, as the process's own user).</summary>
    public const string ProcPath = "/proc";

    private const ulong Execute = 1UL << 0;
    private const ulong WriteFile = 1UL << 1;
    private const ulong ReadFile = 1UL << 2;
    private const ulong ReadDir = 1UL << 3;
    private const ulong RemoveFile = 1UL << 5;
    private const ulong MakeRegular = 1UL << 8;
    private const ulong RightsAbi1 = (1UL << 13) - 1;
    private const ulong Refer = 1UL << 13;
    private const ulong Truncate = 1UL << 14;
    private const ulong IoctlDev = 1UL << 15;
    private const ulong BindTcp = 1UL << 0;
    private const ulong ConnectTcp = 1UL << 1;
    private const ulong ScopeAbstractUnixSocket = 1UL << 0;
    private const ulong ScopeSignal = 1UL << 1;

    private const uint CreateRulesetVersion = 1;
    private const int RulePathBeneath = 1;
    private const int OpenPath = 0x200000; // O_PATH

    /// <summary>The Landlock ABI this kernel offers; 0 when it has none (older than 5.13, or the LSM is not enabled).</summary>
    public static int Abi()
    {
        var version = LinuxNative.syscall(SystemCalls.LandlockCreateRuleset.Number, 0, 0, (nint)CreateRulesetVersion, 0, 0, 0);
        return version < 0 ? 0 : (int)version;
    }

    /// <summary>What Landlock stops at <paramref name="abi"/>, in words for audit and the warnings.</summary>
    public static string Describe(int abi) => abi switch
    {
        <= 0 => "none (this kernel has no Landlock)",
        < 4 => $"ABI {abi}: no writes, reads only of the runtime's paths",
        < 6 => $"ABI {abi}: no writes, reads only of the runtime's paths, no TCP bind or connect",
        _ => $"ABI {abi}: no writes, reads only of the runtime's paths, no TCP bind or connect, no signals or abstract Unix sockets out of the sandbox",
    };

    private static readonly Lock RulesetGate = new();

    /// <summary>Rulesets built so far, by ABI, read paths and write paths: one for the services without a store, one per store.</summary>
    private static readonly Dictionary<string, int> Kept = new(StringComparer.Ordinal);

    /// <summary>
    /// Restricts the calling thread (and what it later creates) to reading <paramref name="readPaths"/>
    /// at <paramref name="abi"/>. Paths that do not exist are skipped. Needs no_new_privs (or CAP_SYS_ADMIN).
    /// <para>
    /// The ruleset is built once for the same ABI and paths and kept open: each restriction takes
    /// its own snapshot of it (a domain of its own for every service process), and building it
    /// again for every spawn (an O_PATH open and a rule per path) was most of the spawner
    /// thread's work. A rule holds the file it was made for, so a path replaced by a new file
    /// later (a rename over it) stays unreadable: stricter, never looser.
    /// </para>
    /// </summary>
    public static void RestrictThisThread(int abi, IReadOnlyList<string> readPaths) => RestrictThisThread(abi, readPaths, []);

    /// <summary>
    /// As above, and allows creating, replacing (rename within), truncating, reading and writing
    /// regular files beneath each of <paramref name="writePaths"/>: a service's retain store.
    /// Landlock's remove right comes with them (a rename over a file removes it); the seccomp
    /// filter has no unlink. Making directories, links, sockets or devices stays denied there too.
    /// </summary>
    public static void RestrictThisThread(int abi, IReadOnlyList<string> readPaths, IReadOnlyList<string> writePaths)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(abi);
        ArgumentNullException.ThrowIfNull(readPaths);
        ArgumentNullException.ThrowIfNull(writePaths);
        lock (RulesetGate)
        {
            var key = $"{abi}\0{string.Join('\0', readPaths)}\0\0{string.Join('\0', writePaths)}";
            if (!Kept.TryGetValue(key, out var ruleset))
            {
                ruleset = Build(abi, readPaths, writePaths);
                Kept[key] = ruleset;
            }

            if (LinuxNative.syscall(SystemCalls.LandlockRestrictSelf.Number, ruleset, 0, 0, 0, 0, 0) != 0)
            {
                throw SandboxNative.Error("landlock_restrict_self", "EPERM: no_new_privs is not set on this thread");
            }
        }
    }

    /// <summary>A ruleset (its descriptor, close-on-exec) that allows reading <paramref name="readPaths"/> and nothing else the ABI handles.</summary>
    private static int Build(int abi, IReadOnlyList<string> readPaths, IReadOnlyList<string> writePaths)
    {
        var handledFs = HandledFileRights(abi);
        var attribute = stackalloc ulong[3];
        attribute[0] = handledFs;
        attribute[1] = abi >= 4 ? BindTcp | ConnectTcp : 0;
        attribute[2] = abi >= 6 ? ScopeAbstractUnixSocket | ScopeSignal : 0;
        var size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
        var ruleset = (int)LinuxNative.syscall(SystemCalls.LandlockCreateRuleset.Number, (nint)attribute, size, 0, 0, 0, 0);
        if (ruleset < 0)
        {
            throw SandboxNative.Error("landlock_create_ruleset", "this kernel's Landlock refused the ruleset; run with --no-sandbox to start services without it");
        }

        try
        {
            foreach (var path in readPaths)
            {
                AllowReading(ruleset, path, handledFs);
            }

            foreach (var path in writePaths)
            {
                AllowStore(ruleset, path, handledFs);
            }
        }
        catch
        {
            _ = SandboxNative.close(ruleset);
            throw;
        }

        return ruleset;
    }

    private static ulong HandledFileRights(int abi) =>
        RightsAbi1 | (abi >= 2 ? Refer : 0) | (abi >= 3 ? Truncate : 0) | (abi >= 5 ? IoctlDev : 0);

    /// <summary>struct landlock_path_beneath_attr, packed: the rights, then the O_PATH descriptor of the file or directory.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct PathBeneath
    {
        public ulong AllowedAccess;
        public int ParentFd;
    }

    /// <summary>A retain store: its files may be made, replaced by rename within it, truncated, read and written. The directory must exist (the kernel made it).</summary>
    private static void AllowStore(int ruleset, string path, ulong handledFs)
    {
        var fd = LinuxNative.open(path, OpenPath | LinuxNative.O_CLOEXEC);
        if (fd < 0)
        {
            throw SandboxNative.Error($"open({path}, O_PATH)", "the retain store's directory must exist before its service starts");
        }

        try
        {
            var rule = new PathBeneath { AllowedAccess = (WriteFile | ReadFile | ReadDir | RemoveFile | MakeRegular | Truncate) & handledFs, ParentFd = fd };
            if (LinuxNative.syscall(SystemCalls.LandlockAddRule.Number, ruleset, RulePathBeneath, (nint)(&rule), 0, 0, 0) != 0)
            {
                throw SandboxNative.Error($"landlock_add_rule({path})", "the retain store could not be allowed for writing");
            }
        }
        finally
        {
            _ = SandboxNative.close(fd);
        }
    }

    private static void AllowReading(int ruleset, string path, ulong handledFs)
    {
        var fd = LinuxNative.open(path, OpenPath | LinuxNative.O_CLOEXEC);
        if (fd < 0)
        {
            // Not on this machine (a library directory some distributions do not have): nothing to allow.
            return;
        }

        try
        {
            var rights = Directory.Exists(path) ? Execute | ReadFile | ReadDir : Execute | ReadFile;
            if (path == ProcPath)
            {
                rights |= WriteFile;
            }

            var rule = new PathBeneath { AllowedAccess = rights & handledFs, ParentFd = fd };
            if (LinuxNative.syscall(SystemCalls.LandlockAddRule.Number, ruleset, RulePathBeneath, (nint)(&rule), 0, 0, 0) != 0)
            {
                throw SandboxNative.Error($"landlock_add_rule({path})", "the path could not be allowed for reading");
            }
        }
        finally
        {
            _ = SandboxNative.close(fd);
        }
    }
}
