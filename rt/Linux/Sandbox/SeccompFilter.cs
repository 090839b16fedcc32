using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>One classic BPF instruction (struct sock_filter).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

/// <summary>
/// The seccomp-bpf allow-list of a service host process (<see cref="SystemCalls.Allowed"/>), as a
/// classic BPF program, installed on every thread at once (SECCOMP_FILTER_FLAG_TSYNC). It first
/// checks the architecture (a call made through another ABI, x32 or 32-bit compat, would name
/// other system calls by the same numbers: the process is killed), then walks the list in order:
/// each plain entry is a compare and a return, so the loop's calls, listed first, are decided in
/// a handful of instructions. A refused call returns EPERM rather than killing the process, so
/// the service sees the refusal, can report it, and the run goes on; the kernel also logs each
/// refusal (SECCOMP_FILTER_FLAG_LOG), so the OS keeps its own record.
/// </summary>
internal static unsafe class SeccompFilter
{
    public const uint AuditArchX64 = 0xC000003E;
    public const uint AuditArchArm64 = 0xC00000B7;

    private const ushort LoadWord = 0x20; // BPF_LD | BPF_W | BPF_ABS
    private const ushort JumpEqual = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JumpGreaterOrEqual = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    private const ushort JumpSet = 0x45; // BPF_JMP | BPF_JSET | BPF_K
    private const ushort Return = 0x06; // BPF_RET | BPF_K

    private const uint RetAllow = 0x7fff0000;
    private const uint RetErrno = 0x00050000;
    private const uint RetKillProcess = 0x80000000;
    private const uint Eperm = 1;
    private const uint Enosys = 38;

    private const uint NumberOffset = 0;
    private const uint ArchOffset = 4;
    private const uint X32SystemCallBit = 0x40000000;
    private const uint CloneThread = 0x00010000;
    private const uint Tiocsti = 0x5412;

    private const int SeccompSetModeFilter = 1;
    private const uint SeccompFilterFlagTsync = 1;

    /// <summary>The kernel logs every refused call (audit type 1326, or the kernel log without auditd): the OS's own record of what a service tried.</summary>
    private const uint SeccompFilterFlagLog = 2;

    /// <summary>The filter for this process: <paramref name="pid"/> is the only process it may signal.</summary>
    public static BpfInstruction[] Build(Architecture architecture, int pid, bool acceptsConnections, bool retainsValues = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        var program = new List<BpfInstruction>(2 * SystemCalls.Allowed.Length + 64);
        var arch = architecture switch
        {
            Architecture.X64 => AuditArchX64,
            Architecture.Arm64 => AuditArchArm64,
            _ => throw new PlatformNotSupportedException($"seccomp: no system call table for {architecture}; Neokernel supports x64 and arm64"),
        };
        program.Add(new(LoadWord, 0, 0, ArchOffset));
        program.Add(new(JumpEqual, 1, 0, arch));
        program.Add(new(Return, 0, 0, RetKillProcess));
        program.Add(new(LoadWord, 0, 0, NumberOffset));
        if (architecture == Architecture.X64)
        {
            program.Add(new(JumpGreaterOrEqual, 0, 1, X32SystemCallBit));
            program.Add(new(Return, 0, 0, RetErrno | Eperm));
        }

        foreach (var call in SystemCalls.Allowed)
        {
            var number = call.NumberOn(architecture);
            if (number >= 0)
            {
                AddEntry(program, (uint)number, Body(call.Rule, pid, acceptsConnections, retainsValues));
            }
        }

        program.Add(new(Return, 0, 0, RetErrno | Eperm));
        return [.. program];
    }

    /// <summary>
    /// Installs <paramref name="program"/> on every thread of this process. The calling thread must
    /// have no_new_privs (or CAP_SYS_ADMIN); TSYNC gives it to the other threads too.
    /// </summary>
    public static void Install(BpfInstruction[] program)
    {
        ArgumentNullException.ThrowIfNull(program);
        fixed (BpfInstruction* instructions = program)
        {
            var header = stackalloc nint[2];
            header[0] = program.Length;
            header[1] = (nint)instructions;
            var result = LinuxNative.syscall(SystemCalls.Seccomp.Number, SeccompSetModeFilter, (nint)(SeccompFilterFlagTsync | SeccompFilterFlagLog), (nint)header, 0, 0, 0);
            if (result > 0)
            {
                throw new LinuxErrnoException($"seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): thread {result} of this process has a filter of its own", 16, "another library installed a seccomp filter on one thread; the service host cannot put all of its threads under one filter");
            }

            if (result < 0)
            {
                throw SandboxNative.Error("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)", "EINVAL: this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER); EACCES: no_new_privs is not set");
            }
        }
    }

    /// <summary>Whether this kernel can filter system calls: PR_GET_SECCOMP answers on a kernel with CONFIG_SECCOMP.</summary>
    public static bool IsSupported() => SandboxNative.prctl(SandboxNative.PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;

    /// <summary>A compare of the call number; when equal, the body (which ends in returns) runs, else the next entry.</summary>
    private static void AddEntry(List<BpfInstruction> program, uint number, BpfInstruction[] body)
    {
        program.Add(new(JumpEqual, 0, checked((byte)body.Length), number));
        program.AddRange(body);
    }

    private static BpfInstruction[] Body(SystemCallRule rule, int pid, bool acceptsConnections, bool retainsValues) => rule switch
    {
        SystemCallRule.GrantedStore => [retainsValues ? Allow() : Refuse(Eperm)],
        SystemCallRule.Allow => [Allow()],
        SystemCallRule.NotImplemented => [Refuse(Enosys)],
        SystemCallRule.GrantedListener => [acceptsConnections ? Allow() : Refuse(Eperm)],
        SystemCallRule.ThreadOnly =>
        [
            new(LoadWord, 0, 0, ArgumentLow(0)),
            new(JumpSet, 0, 1, CloneThread),
            Allow(),
            Refuse(Eperm),
        ],
        SystemCallRule.NoTerminalInjection =>
        [
            new(LoadWord, 0, 0, ArgumentLow(1)),
            new(JumpEqual, 0, 1, Tiocsti),
            Refuse(Eperm),
            Allow(),
        ],
        SystemCallRule.OwnProcess => ArgumentIs(0, (uint)pid),
        SystemCallRule.CallingThread => ArgumentIs(0, 0),
        SystemCallRule.OwnLimits =>
        [
            new(LoadWord, 0, 0, ArgumentHigh(0)),
            new(JumpEqual, 0, 5, 0),
            new(LoadWord, 0, 0, ArgumentLow(0)),
            new(JumpEqual, 2, 0, 0),
            new(JumpEqual, 1, 0, (uint)pid),
            Refuse(Eperm),
            Allow(),
            Refuse(Eperm),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "no filter body for this rule"),
    };

    /// <summary>Allowed when the whole 64-bit argument <paramref name="index"/> equals <paramref name="value"/>.</summary>
    private static BpfInstruction[] ArgumentIs(int index, uint value) =>
    [
        new(LoadWord, 0, 0, ArgumentHigh(index)),
        new(JumpEqual, 0, 3, 0),
        new(LoadWord, 0, 0, ArgumentLow(index)),
        new(JumpEqual, 0, 1, value),
        Allow(),
        Refuse(Eperm),
    ];

    /// <summary>struct seccomp_data: args[] start at 16, 8 bytes each; x64 and arm64 are little-endian, so the low word comes first.</summary>
    private static uint ArgumentLow(int index) => 16u + (8u * (uint)index);

    private static uint ArgumentHigh(int index) => ArgumentLow(index) + 4;

    private static BpfInstruction Allow() => new(Return, 0, 0, RetAllow);

    private static BpfInstruction Refuse(uint errno) => new(Return, 0, 0, RetErrno | errno);
}
