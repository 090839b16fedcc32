using System.Runtime.InteropServices;
using Neokernel.Rt.Linux.Sandbox;

namespace Neokernel.Rt.Tests.Sandbox;

/// <summary>
/// The seccomp program, run on a classic BPF interpreter written for the test (the four opcodes
/// the filter uses), on both architectures: what it decides for each call the sandbox allows,
/// allows with conditions, or refuses; and that the loop's calls are decided first.
/// </summary>
public sealed class SeccompFilterTests
{
    private const uint Allow = 0x7fff0000;
    private const uint Eperm = 0x00050001;
    private const uint Enosys = 0x00050026;
    private const uint KillProcess = 0x80000000;
    private const int Pid = 4242;

    public static TheoryData<Architecture> Architectures => [Architecture.X64, Architecture.Arm64];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Build_PlainAllowedCalls_AreAllowedWithAnyArguments(Architecture architecture)
    {
        var program = SeccompFilter.Build(architecture, Pid, acceptsConnections: false);

        foreach (var call in SystemCalls.Allowed.Where(c => c.Rule == SystemCallRule.Allow && c.NumberOn(architecture) >= 0))
        {
            Assert.True(Run(program, architecture, call.NumberOn(architecture), 7, 9) == Allow, $"{call.Name} on {architecture}");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Build_ForbiddenCalls_AreRefusedWithEperm(Architecture architecture)
    {
        var program = SeccompFilter.Build(architecture, Pid, acceptsConnections: false);
        (string Name, int X64, int Arm64)[] forbidden =
        [
            ("socket", 41, 198), ("socketpair", 53, 199), ("connect", 42, 203), ("bind", 49, 200), ("listen", 50, 201),
            ("accept4", 288, 242), ("execve", 59, 221), ("execveat", 322, 281), ("ptrace", 101, 117), ("process_vm_readv", 310, 270),
            ("setuid", 105, 146), ("unshare", 272, 97), ("mount", 165, 40), ("bpf", 321, 280), ("io_uring_setup", 425, 425), ("pidfd_send_signal", 424, 424),
        ];

        foreach (var (name, x64, arm64) in forbidden)
        {
            var number = architecture == Architecture.X64 ? x64 : arm64;
            Assert.True(Run(program, architecture, number, 0, 0) == Eperm, $"{name} on {architecture}");
        }

        if (architecture == Architecture.X64)
        {
            Assert.Equal(Eperm, Run(program, architecture, 57, 0, 0)); // fork
            Assert.Equal(Eperm, Run(program, architecture, 58, 0, 0)); // vfork
            Assert.Equal(Eperm, Run(program, architecture, 0x40000000 + 2, 0, 0)); // x32 ABI open
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Build_ConditionalCalls_AllowOnlyTheirOwnProcessAndThreads(Architecture architecture)
    {
        var program = SeccompFilter.Build(architecture, Pid, acceptsConnections: false);
        int Number(string name) => SystemCalls.Allowed.Single(c => c.Name == name).NumberOn(architecture);

        Assert.Equal(Allow, Run(program, architecture, Number("clone"), 0x003d0f00, 0)); // glibc's pthread_create flags
        Assert.Equal(Eperm, Run(program, architecture, Number("clone"), 0x01200011, 0)); // glibc's fork flags
        Assert.Equal(Enosys, Run(program, architecture, Number("clone3"), 0, 0));
        Assert.Equal(Allow, Run(program, architecture, Number("tgkill"), Pid, 4243));
        Assert.Equal(Eperm, Run(program, architecture, Number("tgkill"), 1, 1));
        Assert.Equal(Allow, Run(program, architecture, Number("kill"), Pid, 0));
        Assert.Equal(Eperm, Run(program, architecture, Number("kill"), 1, 9));
        Assert.Equal(Eperm, Run(program, architecture, Number("kill"), 0, 9)); // the process group, the kernel with it
        Assert.Equal(Eperm, Run(program, architecture, Number("kill"), Pid + (1L << 32), 9));
        Assert.Equal(Allow, Run(program, architecture, Number("sched_setscheduler"), 0, 1));
        Assert.Equal(Eperm, Run(program, architecture, Number("sched_setscheduler"), 1, 1));
        Assert.Equal(Allow, Run(program, architecture, Number("prlimit64"), 0, 7));
        Assert.Equal(Allow, Run(program, architecture, Number("prlimit64"), Pid, 7));
        Assert.Equal(Eperm, Run(program, architecture, Number("prlimit64"), 1, 7));
        Assert.Equal(Allow, Run(program, architecture, Number("ioctl"), 3, 0x541B)); // FIONREAD
        Assert.Equal(Eperm, Run(program, architecture, Number("ioctl"), 0, 0x5412)); // TIOCSTI
        Assert.Equal(Eperm, Run(program, architecture, Number("accept4"), 5, 0));
        Assert.Equal(Allow, Run(SeccompFilter.Build(architecture, Pid, acceptsConnections: true), architecture, Number("accept4"), 5, 0));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Build_AnotherArchitecture_KillsTheProcess(Architecture architecture)
    {
        var program = SeccompFilter.Build(architecture, Pid, acceptsConnections: false);
        var other = architecture == Architecture.X64 ? SeccompFilter.AuditArchArm64 : SeccompFilter.AuditArchX64;

        Assert.Equal(KillProcess, Run(program, other, 0, 0, 0));
        Assert.Equal(KillProcess, Run(program, 0x40000003, 0, 0, 0)); // i386 compat
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Build_TheLoopsCalls_AreDecidedInAFewInstructions(Architecture architecture)
    {
        var program = SeccompFilter.Build(architecture, Pid, acceptsConnections: false);
        int Number(string name) => SystemCalls.Allowed.Single(c => c.Name == name).NumberOn(architecture);

        foreach (var hot in new[] { "futex", "epoll_pwait", "clock_nanosleep", "read", "write", "recvmsg", "sendmsg" })
        {
            Assert.True(Steps(program, architecture, Number(hot)) <= 24, $"{hot} takes {Steps(program, architecture, Number(hot))} instructions");
        }

        Assert.True(program.Length < 4096, $"{program.Length} instructions: seccomp refuses programs over BPF_MAXINSNS");
    }

    private static uint ArchOf(Architecture architecture) => architecture == Architecture.X64 ? SeccompFilter.AuditArchX64 : SeccompFilter.AuditArchArm64;

    private static uint Run(BpfInstruction[] program, Architecture architecture, int number, long a0, long a1) => Run(program, ArchOf(architecture), number, a0, a1);

    private static uint Run(BpfInstruction[] program, uint arch, int number, long a0, long a1) => Interpret(program, Data(arch, number, a0, a1), out _);

    private static int Steps(BpfInstruction[] program, Architecture architecture, int number)
    {
        _ = Interpret(program, Data(ArchOf(architecture), number, 0, 0), out var steps);
        return steps;
    }

    /// <summary>struct seccomp_data: nr, arch, instruction pointer, six arguments, little-endian.</summary>
    private static byte[] Data(uint arch, int number, long a0, long a1)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), number);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        BitConverter.TryWriteBytes(data.AsSpan(16), a0);
        BitConverter.TryWriteBytes(data.AsSpan(24), a1);
        return data;
    }

    private static uint Interpret(BpfInstruction[] program, byte[] data, out int steps)
    {
        uint accumulator = 0;
        steps = 0;
        for (var pc = 0; pc < program.Length; pc++)
        {
            steps++;
            var instruction = program[pc];
            switch (instruction.Code)
            {
                case 0x20:
                    accumulator = BitConverter.ToUInt32(data, (int)instruction.K);
                    break;
                case 0x15:
                    pc += accumulator == instruction.K ? instruction.JumpTrue : instruction.JumpFalse;
                    break;
                case 0x35:
                    pc += accumulator >= instruction.K ? instruction.JumpTrue : instruction.JumpFalse;
                    break;
                case 0x45:
                    pc += (accumulator & instruction.K) != 0 ? instruction.JumpTrue : instruction.JumpFalse;
                    break;
                case 0x06:
                    return instruction.K;
                default:
                    throw new InvalidOperationException($"opcode 0x{instruction.Code:x} at {pc}");
            }
        }

        throw new InvalidOperationException("the program fell off its end");
    }
}
