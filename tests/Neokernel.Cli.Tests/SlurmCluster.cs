using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace Neokernel.Cli.Tests;

/// <summary>
/// A one-node Slurm cluster of this host, for the length of a test: munged with a key of its own,
/// slurmctld and slurmd in the foreground (<c>-D</c>) as child processes, all state, spool, logs,
/// sockets and the configuration under one temporary directory, on ports picked free. Debian 12
/// ships Slurm 22.05, whose daemons authenticate each other only through munge (auth/slurm came
/// in 23.11; auth/jwt there is for clients of slurmrestd), so the cluster starts its own munged on
/// a private socket that slurm.conf names (<c>AuthInfo=socket=…</c>): the machine's munge, if any,
/// is left alone. Slurm commands find the cluster through <see cref="Environment"/>'s SLURM_CONF.
/// Dispose cancels what is still queued, stops the three daemons and deletes the directory.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SlurmCluster : IDisposable
{
    /// <summary>How long the node may take to come up idle after slurmd starts.</summary>
    public static readonly TimeSpan NodeIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long any one Slurm or munge command (sinfo, scancel, munge) may take.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a daemon may take to exit once killed.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly List<(string Name, Process Process)> daemons = [];

    private readonly List<DaemonConsole> consoles = [];

    private SlurmCluster(string directory)
    {
        Directory = directory;
        NodeName = Dns.GetHostName().Split('.')[0];
        Environment = new Dictionary<string, string> { ["SLURM_CONF"] = ConfigPath };
    }

    /// <summary>The cluster's directory: slurm.conf, munge/, state/, spool/, log/.</summary>
    public string Directory { get; }

    /// <summary>The node's name: this host's short name, which slurmctld checks SlurmctldHost against.</summary>
    public string NodeName { get; }

    public string ConfigPath => Path.Combine(Directory, "slurm.conf");

    public string LogDirectory => Path.Combine(Directory, "log");

    /// <summary>What a Slurm command needs in its environment to reach this cluster.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    private string MungeSocket => Path.Combine(Directory, "munge", "munge.socket");

    /// <summary>Starts munged, slurmctld and slurmd and waits for the node to be idle; stops them all if any step fails.</summary>
    public static SlurmCluster Start()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("neokernel-slurm-").FullName;
        var cluster = new SlurmCluster(directory);
        try
        {
            cluster.StartMunge();
            cluster.WriteConfig();
            cluster.StartDaemon("slurmctld", "/usr/sbin/slurmctld", "-D", "-i");
            cluster.StartDaemon("slurmd", "/usr/sbin/slurmd", "-D", "-N", cluster.NodeName);
            cluster.WaitForIdleNode();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Runs a Slurm client command against this cluster, bounded by <paramref name="timeout"/>.</summary>
    public CommandResult Run(TimeSpan timeout, string command, params string[] arguments)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Directory };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{command} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(StopTimeout);
            return new CommandResult(-1, output.IsCompleted ? output.Result : "", $"{command} did not finish within {timeout}; killed. {Logs()}");
        }

        return new CommandResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Where the daemons' logs are and their last lines: for assertion messages.</summary>
    public string Logs()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Slurm logs in {LogDirectory}:");
        if (!System.IO.Directory.Exists(LogDirectory))
        {
            return text.Append(" (gone)").ToString();
        }

        foreach (var file in System.IO.Directory.GetFiles(LogDirectory).Order(StringComparer.Ordinal))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n');
            text.Append(CultureInfo.InvariantCulture, $"\n== {file} (last lines)\n").AppendJoin('\n', lines.TakeLast(15));
        }

        return text.ToString();
    }

    public void Dispose()
    {
        if (daemons.Any(d => d.Name == "slurmctld" && !d.Process.HasExited))
        {
            // Jobs still queued or running (a test that timed out): slurmstepd outlives slurmd, so
            // cancel them through the controller before it goes.
            Run(CommandTimeout, "scancel", "--full", "--user", "root");
        }

        foreach (var (_, process) in Enumerable.Reverse(daemons))
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(StopTimeout);
            }

            process.Dispose();
        }

        daemons.Clear();
        foreach (var console in consoles)
        {
            console.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>
    /// munged with a fresh 1 KiB key. The socket's directory must be searchable by everyone
    /// (munged refuses otherwise); the key is readable by its owner alone.
    /// </summary>
    private void StartMunge()
    {
        var munge = Path.Combine(Directory, "munge");
        System.IO.Directory.CreateDirectory(munge);
        System.IO.Directory.CreateDirectory(LogDirectory);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(munge, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var key = Path.Combine(munge, "munge.key");
        File.WriteAllBytes(key, RandomNumberGenerator.GetBytes(1024));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        StartDaemon(
            "munged",
            "/usr/sbin/munged",
            "--foreground",
            $"--key-file={key}",
            $"--socket={MungeSocket}",
            $"--pid-file={Path.Combine(munge, "munged.pid")}",
            $"--seed-file={Path.Combine(munge, "munged.seed")}",
            $"--log-file={Path.Combine(LogDirectory, "munged.log")}");
        WaitUntil(
            () => File.Exists(MungeSocket) && Run(CommandTimeout, "/usr/bin/munge", "--socket", MungeSocket, "--no-input").ExitCode == 0,
            TimeSpan.FromSeconds(20),
            () => "munged did not answer on its socket");
    }

    private void WriteConfig()
    {
        foreach (var name in (string[])["state", "spool"])
        {
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, name));
        }

        var (controllerPort, nodePort) = (FreePort(), FreePort());
        var config = $"""
            ClusterName=neokernel-test
            SlurmctldHost={NodeName}(127.0.0.1)
            SlurmctldPort={controllerPort}
            SlurmdPort={nodePort}
            AuthType=auth/munge
            CredType=cred/munge
            AuthInfo=socket={MungeSocket}
            SlurmUser=root
            SlurmdUser=root
            StateSaveLocation={Path.Combine(Directory, "state")}
            SlurmdSpoolDir={Path.Combine(Directory, "spool")}
            SlurmctldPidFile={Path.Combine(Directory, "slurmctld.pid")}
            SlurmdPidFile={Path.Combine(Directory, "slurmd.pid")}
            SlurmctldLogFile={Path.Combine(LogDirectory, "slurmctld.log")}
            SlurmdLogFile={Path.Combine(LogDirectory, "slurmd.log")}
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            JobCompType=jobcomp/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            SchedulerType=sched/builtin
            MpiDefault=none
            ReturnToService=2
            NodeName={NodeName} NodeAddr=127.0.0.1 CPUs={System.Environment.ProcessorCount} State=UNKNOWN
            PartitionName=neokernel Nodes={NodeName} Default=YES MaxTime=INFINITE State=UP

            """;
        File.WriteAllText(ConfigPath, config);
    }

    /// <summary>Starts a daemon in the foreground; its own log file gets its messages, its stdout and stderr go to log/NAME.out.</summary>
    private void StartDaemon(string name, string path, params string[] arguments)
    {
        Assert.True(File.Exists(path), $"{path} is missing: scripts/install-deps.sh installs slurm-wlm and munge");
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Directory };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SLURM_CONF"] = ConfigPath;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start");
        daemons.Add((name, process));
        var console = new DaemonConsole(Path.Combine(LogDirectory, $"{name}.out"));
        consoles.Add(console);
        process.OutputDataReceived += (_, line) => console.Write(line.Data);
        process.ErrorDataReceived += (_, line) => console.Write(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void WaitForIdleNode()
    {
        var state = "";
        WaitUntil(
            () =>
            {
                AssertDaemonsAlive();
                var result = Run(CommandTimeout, "sinfo", "--noheader", "--Node", "--format=%t");
                state = result.Output.Trim();
                return result.ExitCode == 0 && state == "idle";
            },
            NodeIdleTimeout,
            () => $"the node {NodeName} did not become idle (sinfo said '{state}')");
    }

    private void AssertDaemonsAlive()
    {
        foreach (var (name, process) in daemons)
        {
            Assert.False(process.HasExited, $"{name} exited with {(process.HasExited ? process.ExitCode : 0)}. {Logs()}");
        }
    }

    private void WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failure()} within {timeout}. {Logs()}");
            Thread.Sleep(250);
        }
    }

    /// <summary>A TCP port nothing listens on now (the kernel's pick for port 0), released for a daemon to bind.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A daemon's stdout and stderr, line by line into a file, until the cluster closes it (lines after that are dropped).</summary>
internal sealed class DaemonConsole(string path) : IDisposable
{
    private readonly StreamWriter writer = new(path) { AutoFlush = true };

    private bool closed;

    public void Write(string? line)
    {
        lock (writer)
        {
            if (line is not null && !closed)
            {
                writer.WriteLine(line);
            }
        }
    }

    public void Dispose()
    {
        lock (writer)
        {
            closed = true;
            writer.Dispose();
        }
    }
}

/// <summary>What a command printed and how it exited.</summary>
internal sealed record CommandResult(int ExitCode, string Output, string Error);
