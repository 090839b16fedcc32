using System.Diagnostics;
using System.Globalization;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Linux;
using Neokernel.Testing;
using Xunit.Abstractions;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// Capabilities handed to a real child process (Neokernel.Rt.TestPeer) as fds over a Unix socket,
/// then used across the process boundary. Serial: the two cores of a CI VM are shared with the
/// child, and the kill test measures a time bound.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CrossProcessTests(ITestOutputHelper output)
{
    private const int RingCapacity = 64;
    private const int RingMessageBytes = 64;
    private const int HangupBoundMs = 2_000;

    [Fact]
    public void Region_ChildMapsReadOnly_ReadsEverySnapshotTheParentPublishes_AndCannotWrite()
    {
        string[] points = ["level", "inflow", "valve"];
        using var memory = MemfdRegionMemory.Create("nk-xp-tank", Region.BytesFor(points.Length));
        var writer = new MappedRegion("tank", points, memory);
        using var peer = PeerProcess.Start("region");
        using (var readOnly = memory.OpenReadOnlyDescriptor())
        {
            peer.SendGrant(CapabilityGrant.ForRegion("tank", Rights.Read, memory.Length), readOnly);
        }

        var report = peer.ReceiveText();
        output.WriteLine(report);
        Assert.Contains("access-mode=O_RDONLY", report, StringComparison.Ordinal);
        Assert.Contains("mmap-write=EACCES", report, StringComparison.Ordinal);
        Assert.Contains("mprotect-write=EACCES", report, StringComparison.Ordinal);
        Assert.Contains("reopen-rdwr-without-capabilities=EACCES", report, StringComparison.Ordinal);
        AssertOnlyStdioSocketAndPassed(report, passedMemfds: ["nk-xp-tank"]);

        for (var cycle = 1; cycle <= 5; cycle++)
        {
            for (var p = 0; p < points.Length; p++)
            {
                writer.Set(p, (cycle * 10.5) + p, p == 2 ? Quality.Uncertain : Quality.Good, cycle * 1_000_000L);
            }

            var sequence = writer.Publish();
            peer.SendText("read");
            var expected = string.Join(',', Enumerable.Range(0, points.Length).Select(p =>
                $"{((cycle * 10.5) + p).ToString("R", CultureInfo.InvariantCulture)}/{(p == 2 ? Quality.Uncertain : Quality.Good)}/{cycle * 1_000_000L}"));
            Assert.Equal($"seq={sequence};{expected}", peer.ReceiveText());
        }

        Assert.Equal(0, peer.CloseAndWait());
    }

    [Fact]
    public void Region_ChildStoresThroughItsReadOnlyMapping_DiesOfTheFault_ImageUntouched()
    {
        using var memory = MemfdRegionMemory.Create("nk-xp-store", Region.BytesFor(1));
        memory.Bytes[Region.HeaderBytes] = 0x5A;
        using var peer = PeerProcess.Start("region-store");
        using (var readOnly = memory.OpenReadOnlyDescriptor())
        {
            peer.SendGrant(CapabilityGrant.ForRegion("store", Rights.Read, memory.Length), readOnly);
        }

        Assert.Equal("storing", peer.ReceiveText());
        Assert.False(FdPassing.TryReceive(peer.Socket, new byte[64], out _, out _), "the child survived a store through a PROT_READ mapping");
        Assert.True(peer.Process.WaitForExit(10_000));
        output.WriteLine($"child exit code {peer.Process.ExitCode}; stderr: {peer.Stderr.Split('\n').FirstOrDefault()}");
        Assert.NotEqual(0, peer.Process.ExitCode);
        Assert.Equal(0x5A, memory.Bytes[Region.HeaderBytes]);
    }

    [Fact]
    public void RequestReply_TenThousandMessages_AllRepliedInOrder_NoneLostNoneDuplicated()
    {
        using var endpoint = SharedEndpointRings.Create("nk-xp-echo", RingCapacity, RingMessageBytes);
        using var peer = StartEcho(endpoint);
        var stopwatch = Stopwatch.StartNew();
        Exchange(endpoint, count: 10_000, window: RingCapacity / 2, first: 0);
        output.WriteLine($"10,000 pipelined request/reply pairs in {stopwatch.ElapsedMilliseconds} ms; wake calls: parent {endpoint.Requests.WakeCalls}, waits {endpoint.Replies.WaitCalls}");
        Assert.False(endpoint.Replies.WaitForMessage(50_000_000), "a reply arrived that was never asked for");
        Assert.Equal(0, peer.CloseAndWait());
    }

    [Fact]
    public void ChildStopsConsuming_RingRefusesWhenFull_ThenDeliversEverythingAfterResume()
    {
        using var endpoint = SharedEndpointRings.Create("nk-xp-pressure", RingCapacity, RingMessageBytes);
        using var peer = StartEcho(endpoint);
        Exchange(endpoint, count: 100, window: 8, first: 0);
        peer.SendText("pause");
        Assert.Equal("paused", peer.ReceiveText());

        var accepted = 0;
        var payload = new byte[8];
        while (true)
        {
            BitConverter.TryWriteBytes(payload, 100L + accepted);
            var result = endpoint.Call(payload, sender: 1, out _);
            if (result == EnqueueResult.Full)
            {
                break;
            }

            Assert.Equal(EnqueueResult.Accepted, result);
            accepted++;
        }

        Assert.Equal(RingCapacity, accepted);
        Assert.Equal(1, endpoint.Requests.RejectedFull);
        Assert.False(endpoint.Replies.WaitForMessage(50_000_000), "the paused child replied");

        peer.SendText("resume");
        Assert.Equal("resumed", peer.ReceiveText());
        ReceiveReplies(endpoint, from: 100, count: RingCapacity);
        Assert.Equal(0, peer.CloseAndWait());
    }

    [Fact]
    public void ChildKilledMidStream_ParentSeesTheHangupWithinTheBound_AndTheRingOnlyFillsUp()
    {
        using var endpoint = SharedEndpointRings.Create("nk-xp-kill", RingCapacity, RingMessageBytes);
        using var peer = StartEcho(endpoint);
        Exchange(endpoint, count: 500, window: 16, first: 0);
        var payload = new byte[8];
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(EnqueueResult.Accepted, endpoint.Call(payload, sender: 1, out _));
        }

        var killed = Stopwatch.StartNew();
        peer.Process.Kill();
        Assert.True(FdPassing.WaitForHangup(peer.Socket, HangupBoundMs), $"no POLLHUP within {HangupBoundMs} ms of SIGKILL");
        var noticedMs = killed.Elapsed.TotalMilliseconds;
        Assert.False(FdPassing.TryReceive(peer.Socket, new byte[16], out _, out _), "recv after the hang-up returned data");
        Assert.True(peer.Process.WaitForExit(HangupBoundMs));
        Assert.Equal(128 + 9, peer.Process.ExitCode);
        output.WriteLine($"SIGKILL to POLLHUP: {noticedMs:F2} ms");

        while (endpoint.Replies.TryReceive(new byte[RingMessageBytes], out _, out _))
        {
        }

        var sent = 0;
        while (endpoint.Call(payload, sender: 1, out _) == EnqueueResult.Accepted)
        {
            sent++;
        }

        Assert.InRange(sent, 0, RingCapacity);
    }

    private PeerProcess StartEcho(SharedEndpointRings endpoint)
    {
        var peer = PeerProcess.Start("echo");
        peer.SendGrant(CapabilityGrant.ForEndpoint("echo", Rights.Call, RingCapacity, RingMessageBytes), endpoint.Requests.FileDescriptor, endpoint.Replies.FileDescriptor);
        var ready = peer.ReceiveText();
        output.WriteLine(ready);
        Assert.StartsWith("ready", ready, StringComparison.Ordinal);
        AssertOnlyStdioSocketAndPassed(ready, passedMemfds: [$"{endpoint.Requests.Name}", $"{endpoint.Replies.Name}"]);
        return peer;
    }

    /// <summary>Requests numbered from <paramref name="first"/>, at most <paramref name="window"/> outstanding; checks every reply.</summary>
    private static void Exchange(SharedEndpointRings endpoint, int count, int window, long first)
    {
        var payload = new byte[RingMessageBytes];
        var reply = new byte[RingMessageBytes];
        long sent = 0;
        long received = 0;
        var correlationBase = -1L;
        while (received < count)
        {
            while (sent < count && sent - received < window)
            {
                BitConverter.TryWriteBytes(payload, first + sent);
                payload[^1] = (byte)sent;
                if (endpoint.Call(payload.AsSpan(0, 8 + (int)(sent % 56)), sender: 1, out var correlation) != EnqueueResult.Accepted)
                {
                    break;
                }

                correlationBase = correlationBase < 0 ? correlation - sent : correlationBase;
                Assert.Equal(correlationBase + sent, correlation);
                sent++;
            }

            Assert.True(endpoint.Replies.WaitForMessage(5_000_000_000), $"no reply within 5 s; {received} of {count} received");
            while (endpoint.Replies.TryReceive(reply, out var header, out var length))
            {
                Assert.Equal(MessageKind.Reply, header.Kind);
                Assert.Equal(correlationBase + received, header.Correlation);
                Assert.Equal(8 + (int)(received % 56), length);
                Assert.Equal(first + received, BitConverter.ToInt64(reply));
                received++;
            }
        }
    }

    private static void ReceiveReplies(SharedEndpointRings endpoint, long from, int count)
    {
        var reply = new byte[RingMessageBytes];
        for (var received = 0; received < count;)
        {
            Assert.True(endpoint.Replies.WaitForMessage(5_000_000_000), $"reply {received} of {count} did not arrive");
            while (endpoint.Replies.TryReceive(reply, out _, out _))
            {
                Assert.Equal(from + received, BitConverter.ToInt64(reply));
                received++;
            }
        }
    }

    /// <summary>
    /// The child's fd table holds stdio (and the runtime's duplicates of it), exactly one socket,
    /// exactly the memfds it was passed, and what its own .NET runtime opened: the assemblies it
    /// loaded (read-only), its W^X double-mapping memfd, /dev/null, its epoll and eventfd, and
    /// pipes whose both ends it holds (it made them). A pipe with only one end here, or any other
    /// file, socket or memfd, came from the parent: that is the failure this looks for.
    /// </summary>
    private static void AssertOnlyStdioSocketAndPassed(string report, string[] passedMemfds)
    {
        var fds = report[(report.IndexOf("fds:\n", StringComparison.Ordinal) + 5)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Fd: int.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture), Target: line[(line.IndexOf("-> ", StringComparison.Ordinal) + 3)..]))
            .ToList();
        var stdio = fds.Where(f => f.Fd <= 2).Select(f => f.Target).ToHashSet(StringComparer.Ordinal);
        var sockets = 0;
        var memfds = new List<string>();
        foreach (var (fd, target) in fds.Where(f => f.Fd > 2))
        {
            if (target.StartsWith("socket:", StringComparison.Ordinal))
            {
                sockets++;
            }
            else if (target.StartsWith("/memfd:", StringComparison.Ordinal) && target != "/memfd:doublemapper (deleted)")
            {
                memfds.Add(target["/memfd:".Length..].Replace(" (deleted)", string.Empty, StringComparison.Ordinal));
            }
            else
            {
                Assert.True(
                    stdio.Contains(target)
                    || target is "/memfd:doublemapper (deleted)" or "/dev/null"
                    || target.StartsWith("anon_inode:", StringComparison.Ordinal)
                    || target.EndsWith(".dll", StringComparison.Ordinal)
                    || (target.StartsWith("pipe:", StringComparison.Ordinal) && fds.Count(f => f.Target == target) == 2),
                    $"fd {fd} -> {target} in the child was neither stdio, nor passed, nor opened by the child's runtime");
            }
        }

        Assert.Equal(1, sockets);
        Assert.Equal(passedMemfds.Order(StringComparer.Ordinal), memfds.Order(StringComparer.Ordinal));
    }
}
