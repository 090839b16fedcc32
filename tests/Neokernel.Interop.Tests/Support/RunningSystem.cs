using System.Diagnostics;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Interop.Tests.Support;

/// <summary>
/// A system of manifests/systems under <c>neokernel run --plain</c> (the binary beside the tests)
/// whose gateway serves opc.tcp://127.0.0.1:4840: waited on until the gateway answers a read,
/// its gateway's service host process found through /proc, stopped with SIGTERM as an operator
/// would (so the run prints its summary), and killed with its children when disposed. Each run
/// keeps its retain stores in a state directory of its own (<c>--state-dir</c>), removed when
/// disposed: a run starts from its manifests' defaults, and what a test writes is never restored
/// by a later run or by an operator's own <c>neokernel run</c>.
/// </summary>
public sealed class RunningSystem : IDisposable
{
    public const string Url = "opc.tcp://127.0.0.1:4840";

    private const string GatewayId = "gateway";
    private readonly PeerProcess run;
    private readonly string stateDirectory;
    private bool ready;

    private RunningSystem(PeerProcess run, string stateDirectory)
    {
        this.run = run;
        this.stateDirectory = stateDirectory;
    }

    /// <summary>Everything the run printed so far.</summary>
    public string Output => run.Output;

    /// <summary>Starts <c>neokernel run manifests/systems/SYSTEM --duration DURATION --plain --state-dir (a new directory)</c>.</summary>
    public static RunningSystem Start(string systemFile, string duration)
    {
        NodeOpcua.RequireInstalled();
        var system = Path.Combine(RepositoryRoot(), "manifests", "systems", systemFile);
        // The kernel makes the directory (and each store's, owned by the sandbox user) itself.
        var state = Path.Combine(Path.GetTempPath(), "neokernel-interop-state-" + Guid.NewGuid().ToString("N"));
        return new RunningSystem(PeerProcess.Start(Path.Combine(AppContext.BaseDirectory, "neokernel"), "run", system, "--duration", duration, "--plain", "--state-dir", state), state);
    }

    /// <summary>Waits until the gateway answers a read of ServerStatus.State (its process is up and listening).</summary>
    public void WaitReady()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!ready)
        {
            try
            {
                using var probe = NodeOpcua.Run("client.mjs", TimeSpan.FromSeconds(20), "read", Url, "ns=0;i=2259");
                ready = true;
            }
            catch (NodeOpcuaException) when (DateTime.UtcNow < deadline && !run.HasExited)
            {
                Thread.Sleep(500);
            }
        }
    }

    /// <summary>The pid of the gateway's live service host process, other than <paramref name="not"/>; throws after <paramref name="timeout"/>.</summary>
    public int GatewayPid(TimeSpan timeout, int not = 0) => ServicePid(GatewayId, timeout, not);

    /// <summary>The pid of service <paramref name="serviceId"/>'s live service host process, other than <paramref name="not"/>; throws after <paramref name="timeout"/>.</summary>
    public int ServicePid(string serviceId, TimeSpan timeout, int not = 0)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            foreach (var pid in KernelChildren.ServiceHosts(run.Id, serviceId).Where(p => p != not))
            {
                return pid;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"no {serviceId} service host (other than {not}) within {timeout.TotalSeconds:0.#} s:\n{NodeOpcua.Tail(run.Output)}");
    }

    /// <summary>Stops the run with SIGTERM and waits for it to end; returns its exit code (the output then holds the run's summary).</summary>
    public int Stop(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        return run.WaitForExit(timeout);
    }

    public void Dispose()
    {
        run.Dispose();
        if (Directory.Exists(stateDirectory))
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Neokernel.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no Neokernel.slnx above " + AppContext.BaseDirectory);
    }
}
