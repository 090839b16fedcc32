using System.Diagnostics;
using System.Globalization;
using Neokernel.Rt.Linux.Faults;

namespace Neokernel.Cli.Tests;

/// <summary>
/// Guards the promise that a service host's capabilities go only to the process the kernel
/// started. Another local user (nobody, through setpriv) watches for any Unix socket of a running
/// isolated kernel, in the temp directory and in /proc/net/unix, and connects to each at once,
/// while the kernel restarts its level sensor twice (each restart made a new socket before the
/// child could connect). The kernel runs with umask 0, so a named socket would be connectable by
/// anyone. The attacker must find no socket and receive nothing: neither bytes nor fds. The one
/// named socket the kernel may hold is the operator's control socket, and the attacker's connect
/// to it must be refused.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class SocketTheftTests
{
    private const int Restarts = 2;
    private static readonly TimeSpan AttackDuration = TimeSpan.FromSeconds(14);

    /// <summary>
    /// The attacker, run by python3 as nobody: every 5 ms it lists socket paths that name the
    /// kernel's pid, connects to each new one on a thread of its own, and reports what it got.
    /// </summary>
    private const string Attacker = """
        import glob, socket, sys, threading, time
        seconds, pid, control = float(sys.argv[1]), sys.argv[2], sys.argv[3]
        marker = 'neokernel-%s-' % pid
        def knock(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                s.sendall(b'inject level-sensor crash\n')
                print('control answered %r' % s.recv(4096), flush=True)
            except OSError as e:
                print('control refused errno %d' % e.errno, flush=True)
        def take(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect('\0' + path[1:] if path.startswith('@') else path)
            except OSError as e:
                print('refused %s errno %d' % (path, e.errno), flush=True)
                return
            s.settimeout(3)
            got, fds = 0, 0
            try:
                while True:
                    data, ancillary, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(253 * 4))
                    if not data:
                        break
                    got += len(data)
                    fds += sum(len(c) // 4 for level, kind, c in ancillary if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS)
            except OSError:
                pass
            print('received %s %d bytes %d fds' % (path, got, fds), flush=True)
        seen = set()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            paths = set(p for p in glob.glob('/tmp/*') if marker in p)
            with open('/proc/net/unix') as table:
                paths |= set(line.split()[7] for line in list(table)[1:] if len(line.split()) > 7 and marker in line.split()[7])
            for path in paths - seen:
                seen.add(path)
                print('found ' + path, flush=True)
                threading.Thread(target=take, args=(path,)).start()
            time.sleep(0.005)
        knock(control)
        time.sleep(3.5)
        print('done', flush=True)
        """;

    [Fact]
    public async Task Run_AnotherUserLooksForTheServiceHostsSockets_FindsNoneAndReceivesNothing()
    {
        var script = Path.Combine(Path.GetTempPath(), $"nk-attacker-{Guid.NewGuid():N}.py");
        File.WriteAllText(script, Attacker); // 0644 under the test host's umask: nobody can read it
        using var kernel = StartDemoWithUmaskZero();
        var kernelErrors = kernel.StandardError.ReadToEndAsync();
        var kernelOutput = kernel.StandardOutput.ReadToEndAsync();
        try
        {
            var killed = new List<int> { ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), [], kernel.Id) };
            var control = ControlSocket.DefaultPath("tank-demo");
            using var attacker = StartAsNobody(script, kernel.Id, control);
            var attack = attacker.StandardOutput.ReadToEndAsync();
            var attackErrors = attacker.StandardError.ReadToEndAsync();
            for (var i = 0; i < Restarts; i++)
            {
                Thread.Sleep(3_000);
                KillIfRunning(killed[^1]); // under load the sensor may have restarted on its own: its successor is next
                killed.Add(ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(20), killed, kernel.Id));
            }

            Assert.True(attacker.WaitForExit(AttackDuration + TimeSpan.FromSeconds(20)), "the attacker did not finish");
            var report = await attack;
            Assert.True(report.Contains("done", StringComparison.Ordinal), $"the attacker did not run to its end: {report} {await attackErrors}");
            Assert.False(report.Contains("received", StringComparison.Ordinal), $"another user connected to a service host's socket: {report}");
            Assert.False(report.Contains("found", StringComparison.Ordinal), $"another user found a service host's socket: {report}");
            Assert.Contains("control refused errno 13", report, StringComparison.Ordinal); // EACCES: the directory is 0700
            Assert.DoesNotContain("control answered", report, StringComparison.Ordinal);
            Assert.All(NamedSocketsOf(kernel.Id), path => Assert.Equal(control, path));
        }
        finally
        {
            if (!kernel.HasExited)
            {
                kernel.Kill(entireProcessTree: true);
            }

            await kernel.WaitForExitAsync();
            _ = await kernelOutput + await kernelErrors;
            File.Delete(script);
        }
    }

    private static void KillIfRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // gone already
        }
        catch (InvalidOperationException)
        {
            // exited between the lookup and the kill
        }
    }

    /// <summary>The paths of the Unix sockets the kernel's process holds that carry its name (root's view: its fds' inodes in /proc/net/unix).</summary>
    private static List<string> NamedSocketsOf(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target["socket:[".Length..^1]);
            }
        }

        return [.. File.ReadAllLines("/proc/net/unix").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 7 && inodes.Contains(fields[6]) && fields[7].Contains("neokernel", StringComparison.Ordinal))
            .Select(fields => fields[7])];
    }

    private static Process StartDemoWithUmaskZero()
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-c", "umask 0 && exec \"$0\" \"$@\"", Path.Combine(AppContext.BaseDirectory, "neokernel"), "run", Repository.TankDemo, "--plain", "--duration", "60s"])
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("neokernel did not start");
    }

    private static Process StartAsNobody(string script, int kernelPid, string control)
    {
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in (string[])["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", script, AttackDuration.TotalSeconds.ToString(CultureInfo.InvariantCulture), kernelPid.ToString(CultureInfo.InvariantCulture), control])
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("setpriv did not start");
    }
}
