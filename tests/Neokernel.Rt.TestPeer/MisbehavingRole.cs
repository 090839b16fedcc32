using System.Runtime.InteropServices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux;

namespace Neokernel.Rt.TestPeer;

/// <summary>
/// <c>test.misbehaving</c>: a service written to misbehave. From its own (sandboxed) service host
/// process, at start, it tries every act its sandbox forbids, each with the plain system call (no
/// .NET wrapper that could refuse first), and publishes the errno each one got in region
/// <c>refusals</c>, in the order of <see cref="Acts"/>: the kernel sees the report as region values,
/// and 0 would mean the act succeeded. Then it goes on running, publishing a heartbeat point.
/// </summary>
public static partial class MisbehavingRole
{
    /// <summary>The acts, in the order of the region's points; <c>alive</c> counts the timer ticks after them.</summary>
    public static readonly string[] Acts = ["shadow", "write", "socket", "connect", "bind", "signal", "ptrace", "fork", "exec", "alive"];

    public static readonly ProgramDescriptor Descriptor = new("test.misbehaving", "tries every act its sandbox forbids", [], static () => new Misbehaving());

    public const string Manifest = """
        id: misbehaving
        kind: driver
        program: { type: test.misbehaving }
        regions: [{ name: refusals, access: write, points: [shadow, write, socket, connect, bind, signal, ptrace, fork, exec, alive] }]
        restart: { policy: temporary }
        """;

    public const string System = """
        system: misbehaving
        services:
          - manifest: misbehaving.yaml
        """;

    /// <summary>The same service with a retain store: the one place its sandbox lets it write, through the store alone.</summary>
    public const string ManifestWithStore = """
        id: misbehaving
        kind: driver
        program: { type: test.misbehaving }
        regions: [{ name: refusals, access: write, points: [shadow, write, socket, connect, bind, signal, ptrace, fork, exec, alive] }]
        retain: { path: misbehaving, bytesMax: 64 }
        restart: { policy: temporary }
        """;

    public const string SystemWithStore = """
        system: misbehaving-store
        services:
          - manifest: misbehaving-store.yaml
        """;

    /// <summary>What the service with a store saves into it at start, after trying every forbidden act.</summary>
    public static ReadOnlySpan<byte> StoreRecord => "misbehaved"u8;

    private const int OpenWriteCreate = 0x41; // O_WRONLY | O_CREAT
    private const int AddressFamilyInet = 2;
    private const int SocketStream = 1;
    private const int SignalContinue = 18;
    private const int PtraceAttach = 16;
    private const int SignalChild = 17;

    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>The errno of each forbidden act, in the order of <see cref="Acts"/> (without alive).</summary>
    public static unsafe double[] TryEverything()
    {
        // The parent of a service host process is the kernel that started it.
        var kernelPid = Call(110, 173, 0, 0, 0);
        var address = stackalloc byte[16];
        address[0] = AddressFamilyInet;
        address[2] = 0x1F; // port 8080, big-endian
        address[3] = 0x90;
        address[4] = 127;
        address[7] = 1;
        var shell = stackalloc byte[] { (byte)'/', (byte)'b', (byte)'i', (byte)'n', (byte)'/', (byte)'s', (byte)'h', 0 };
        var argv = stackalloc nint[] { (nint)shell, 0 };
        return
        [
            Errno(Open("/etc/shadow", LinuxNative.O_RDONLY | LinuxNative.O_CLOEXEC, 0)),
            Errno(Open($"/tmp/neokernel-misbehaving-{Environment.ProcessId}", OpenWriteCreate | LinuxNative.O_CLOEXEC, 0x180)),
            Errno(Call(41, 198, AddressFamilyInet, SocketStream, 0)),
            Errno(Call(42, 203, -1, (nint)address, 16)),
            Errno(Call(49, 200, -1, (nint)address, 16)),
            Errno(Call(62, 129, kernelPid, SignalContinue, 0)),
            Errno(Call(101, 117, PtraceAttach, kernelPid, 0)),
            Errno(Fork()),
            Errno(Call(59, 221, (nint)shell, (nint)argv, 0)),
        ];
    }

    /// <summary>clone(SIGCHLD): a new process. Should it ever be allowed, the copy exits at once and the parent reports success.</summary>
    private static nint Fork()
    {
        var result = Call(56, 220, SignalChild, 0, 0);
        if (result == 0)
        {
            _ = Call(231, 94, 0, 0, 0);
        }

        return result;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    private static nint Call(nint x64, nint arm64, nint a1, nint a2, nint a3) => LinuxNative.syscall(Arm64 ? arm64 : x64, a1, a2, a3, 0, 0, 0);

    private static double Errno(nint result) => result >= 0 ? 0 : Marshal.GetLastPInvokeError();

    private sealed class Misbehaving : IService, ITimerCallback
    {
        private RegionWriter? writer;
        private double[] refusals = [];
        private long ticks;

        public void Start(IServiceContext context)
        {
            refusals = TryEverything();
            if (context.Spec.Retain is not null)
            {
                context.OpenRetainStore().Save(StoreRecord);
            }

            writer = context.OpenRegionWriter("refusals");
            Publish(context.Clock.NowNs);
            context.CreateTimer(this).ArmPeriodic(20_000_000, context.Clock.NowNs + 20_000_000);
        }

        public void Stop()
        {
        }

        public void OnTimer(long nowNs)
        {
            ticks++;
            Publish(nowNs);
        }

        private void Publish(long nowNs)
        {
            for (var i = 0; i < refusals.Length; i++)
            {
                writer!.Set(i, refusals[i], Quality.Good, nowNs);
            }

            writer!.Set(refusals.Length, ticks, Quality.Good, nowNs);
            writer.Publish();
        }
    }
}
