using System.Globalization;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.TestPeer;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// The OS sandbox of a service host process, tried from inside: a service written to misbehave
/// (<see cref="MisbehavingRole"/>) makes every forbidden system call from its own process, and the
/// OS refuses each one (Landlock: EACCES for files; seccomp: EPERM for sockets, signals, ptrace,
/// fork and exec). Its report arrives in the kernel as region values, the service goes on running,
/// and /proc shows the sandbox as the OS holds it.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SandboxProcessTests
{
    private const double Eacces = 13;
    private const double Eperm = 1;

    [Fact]
    public void MisbehavingService_InItsSandbox_IsRefusedEveryForbiddenAct_AndRunsOn()
    {
        using var run = new KernelEndpointProcessTests.IsolatedRun("misbehaving-system.yaml");
        var refusals = run.Kernel.FindRegion("refusals")!;
        var snapshot = new RegionSnapshot(refusals.PointCount);
        var service = run.Kernel.Service("misbehaving");

        run.RunUntil(TimeSpan.FromSeconds(60), () => run.Kernel.TryInspect(refusals, snapshot) && snapshot.Quality(0) == Quality.Good && snapshot.Value(9) >= 5);

        var got = MisbehavingRole.Acts.Select((act, i) => $"{act}={snapshot.Value(i).ToString(CultureInfo.InvariantCulture)}").ToList();
        var report = string.Join(' ', got);
        Assert.True(snapshot.Value(9) >= 5, $"the service ran on after its acts: {report}; fault: {service.LastFault}");
        Assert.Equal(Eacces, snapshot.Value(0)); // open /etc/shadow: Landlock allows no such read
        Assert.Equal(Eacces, snapshot.Value(1)); // create a file: Landlock allows no write anywhere
        for (var act = 2; act <= 8; act++)
        {
            Assert.True(snapshot.Value(act) == Eperm, $"{MisbehavingRole.Acts[act]}: seccomp refuses with EPERM; {report}");
        }

        Assert.Equal(ServiceState.Running, service.State);
        Assert.Equal(0, service.Faults);
    }

    /// <summary>
    /// With a retain store granted, the store is the one place the sandbox lets the service write:
    /// its record reaches the store's slot on disk, written from the sandboxed process through the
    /// store's descriptor, while creating a file anywhere else is refused as before.
    /// </summary>
    [Fact]
    public void MisbehavingService_WithAStore_WritesItsStoreAndNothingElse()
    {
        var state = Directory.CreateTempSubdirectory("neokernel-sandbox-store-");
        try
        {
            using (var run = new KernelEndpointProcessTests.IsolatedRun("misbehaving-store-system.yaml", stateDirectory: state.FullName))
            {
                var refusals = run.Kernel.FindRegion("refusals")!;
                var snapshot = new RegionSnapshot(refusals.PointCount);
                var store = Path.Combine(state.FullName, "misbehaving");
                run.RunUntil(TimeSpan.FromSeconds(60), () => run.Kernel.TryInspect(refusals, snapshot) && snapshot.Quality(0) == Quality.Good && snapshot.Value(9) >= 5 && Slots(store).Any(f => f.Length > 0));

                Assert.Equal(Eacces, snapshot.Value(0)); // read /etc/shadow
                Assert.Equal(Eacces, snapshot.Value(1)); // create a file in /tmp: still no write outside the store
                var slot = Assert.Single(Slots(store), f => f.Length > 0);
                Assert.Contains("misbehaved", File.ReadAllText(slot.FullName), StringComparison.Ordinal);
                Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "neokernel-misbehaving-*"));
                Assert.Equal(0, run.Kernel.Service("misbehaving").Faults);
            }
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static FileInfo[] Slots(string store) => Directory.Exists(store) ? new DirectoryInfo(store).GetFiles("retain-*.nkr") : [];

    [Fact]
    public void SandboxedServiceHost_ProcStatus_ShowsNobodyNoCapabilitiesSeccompAndNoNewPrivs()
    {
        using var run = new KernelEndpointProcessTests.IsolatedRun("misbehaving-system.yaml");
        var refusals = run.Kernel.FindRegion("refusals")!;
        var snapshot = new RegionSnapshot(refusals.PointCount);
        run.RunUntil(TimeSpan.FromSeconds(60), () => run.Kernel.TryInspect(refusals, snapshot) && snapshot.Quality(0) == Quality.Good);
        Assert.True(run.Host.Pids.TryGetValue("misbehaving", out var pid), "the service's process runs");

        var status = File.ReadAllLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());

        var user = run.Sandbox!.User;
        Assert.Equal($"{user.UserId}\t{user.UserId}\t{user.UserId}\t{user.UserId}", status["Uid"]);
        Assert.Equal($"{user.GroupId}\t{user.GroupId}\t{user.GroupId}\t{user.GroupId}", status["Gid"]);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("0000000000000000", status["CapPrm"]);
        Assert.Equal("0000000000000000", status["CapAmb"]);
        Assert.Equal("0000000000000000", status["CapBnd"]);
        Assert.Equal("2", status["Seccomp"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        foreach (var thread in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            // Every thread of the runtime, not only the one that entered the sandbox.
            var threadStatus = File.ReadAllText(Path.Combine(thread, "status"));
            Assert.Contains("Seccomp:\t2", threadStatus, StringComparison.Ordinal);
            Assert.Contains("NoNewPrivs:\t1", threadStatus, StringComparison.Ordinal);
            Assert.Contains("CapEff:\t0000000000000000", threadStatus, StringComparison.Ordinal);
        }

        // The kernel's side: the thread that started the child took on no_new_privs and Landlock and
        // ended; no thread of the kernel's process was born from it with them.
        var restricted = Directory.GetDirectories("/proc/self/task")
            .Where(t => File.ReadAllText(Path.Combine(t, "status")).Contains("NoNewPrivs:\t1", StringComparison.Ordinal))
            .Select(t => File.ReadAllText(Path.Combine(t, "comm")).Trim())
            .ToList();
        Assert.True(restricted.Count == 0, $"threads of the kernel's process with no_new_privs: {string.Join(", ", restricted)}");
    }
}
