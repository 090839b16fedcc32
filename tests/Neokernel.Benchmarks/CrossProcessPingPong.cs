using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Rt.Linux;

namespace Neokernel.Benchmarks;

/// <summary>
/// Two transports between this process and a child process (this harness again, started with
/// <c>--peer</c>), measured side by side: a 64-byte request/reply over a pair of
/// <see cref="SharedMessageRing"/>s with futex wake-ups, and the same 64 bytes ping-ponged over
/// the Unix-domain stream socket that connects the two; and the ring once more with both sides
/// polling for up to <see cref="SpinNs"/> before they sleep. Each sample is one round trip, timed
/// on the parent's measuring thread. The child echoes on three threads, one per transport; those
/// not being measured sleep (in FUTEX_WAIT or in recv).
/// </summary>
internal sealed class CrossProcessPingPong : IDisposable
{
    public const int MessageBytes = 64;
    public const string PeerFlag = "--peer";
    private const int RingCapacity = 16;
    private const long ReplyTimeoutNs = 5_000_000_000;
    private const long PeerIdleWaitNs = 100_000_000;

    /// <summary>How long each side of the spinning variant polls before it sleeps: longer than a round trip, far shorter than a control cycle.</summary>
    public const long SpinNs = 50_000;

    private readonly Process child;
    private readonly Socket socket;
    private readonly SharedEndpointRings rings;
    private readonly SharedEndpointRings spinningRings;
    private readonly byte[] ping = new byte[MessageBytes];
    private readonly byte[] pong = new byte[MessageBytes];

    /// <summary>Starts the child; with <paramref name="childCpu"/> the child's echo threads are pinned there.</summary>
    public CrossProcessPingPong(int? childCpu)
    {
        var path = Path.Combine(Path.GetTempPath(), $"neokernel-bench-xp-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        File.Delete(path);
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            InheritedFds.MarkCloseOnExec();
            child = Process.Start(PeerStartInfo(path, childCpu)) ?? throw new InvalidOperationException("the benchmark peer process did not start");
            if (!listener.Poll(30_000_000, SelectMode.SelectRead))
            {
                throw new TimeoutException($"the benchmark peer did not connect within 30 s (exited: {child.HasExited})");
            }

            socket = listener.Accept();
        }

        File.Delete(path);
        rings = SharedEndpointRings.Create("neokernel-bench", RingCapacity, MessageBytes);
        spinningRings = SharedEndpointRings.Create("neokernel-bench-spin", RingCapacity, MessageBytes);
        FdPassing.Send(
            socket,
            CapabilityGrant.ForEndpoint("bench", Rights.Call, RingCapacity, MessageBytes).Encode(),
            rings.Requests.FileDescriptor,
            rings.Replies.FileDescriptor,
            spinningRings.Requests.FileDescriptor,
            spinningRings.Replies.FileDescriptor);
        for (var i = 0; i < ping.Length; i++)
        {
            ping[i] = (byte)(i * 5);
        }
    }

    public int ChildProcessId => child.Id;

    public void WarmUp(int roundTrips)
    {
        for (var i = 0; i < roundTrips; i++)
        {
            RingRoundTrip(rings, spinNs: 0);
            RingRoundTrip(spinningRings, SpinNs);
            SocketRoundTrip();
        }
    }

    /// <summary>Round-trip times in Stopwatch ticks, sorted.</summary>
    public long[] Measure(Transport transport, int roundTrips)
    {
        var samples = new long[roundTrips];
        for (var i = 0; i < roundTrips; i++)
        {
            var start = Stopwatch.GetTimestamp();
            switch (transport)
            {
                case Transport.Ring:
                    RingRoundTrip(rings, spinNs: 0);
                    break;
                case Transport.SpinningRing:
                    RingRoundTrip(spinningRings, SpinNs);
                    break;
                default:
                    SocketRoundTrip();
                    break;
            }

            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(samples);
        return samples;
    }

    public void Dispose()
    {
        socket.Shutdown(SocketShutdown.Both);
        socket.Dispose();
        if (!child.WaitForExit(10_000))
        {
            child.Kill();
        }

        child.Dispose();
        rings.Dispose();
        spinningRings.Dispose();
    }

    /// <summary>The child's side: echo on both transports until the parent closes the socket.</summary>
    public static int RunPeer(string socketPath, int? cpu)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        var buffer = new byte[FdPassing.PayloadBytesMax];
        if (!FdPassing.TryReceive(socket, buffer, out var length, out var fds) || fds.Length != 4)
        {
            Console.Error.WriteLine("benchmark peer: expected an endpoint grant with four ring fds");
            return 1;
        }

        var grant = CapabilityGrant.Decode(buffer.AsSpan(0, length));
        using var rings = SharedEndpointRings.Attach(grant, fds[0], fds[1]);
        using var spinningRings = SharedEndpointRings.Attach(grant, fds[2], fds[3]);
        new Thread(() => EchoRing(rings, cpu, spinNs: 0)) { IsBackground = true, Name = "ring-echo" }.Start();
        new Thread(() => EchoRing(spinningRings, cpu, SpinNs)) { IsBackground = true, Name = "spinning-ring-echo" }.Start();
        if (cpu is { } pinned)
        {
            ThreadAffinity.PinCurrentThread(pinned);
        }

        var message = new byte[MessageBytes];
        while (SocketIo.ReceiveExactly(socket, message))
        {
            SocketIo.SendAll(socket, message);
        }

        return 0;
    }

    private static void EchoRing(SharedEndpointRings rings, int? cpu, long spinNs)
    {
        if (cpu is { } pinned)
        {
            ThreadAffinity.PinCurrentThread(pinned);
        }

        while (true)
        {
            if (!rings.Requests.WaitForMessage(PeerIdleWaitNs, spinNs))
            {
                continue;
            }

            while (rings.Requests.TryPeek(out var header, out var request))
            {
                if (rings.Reply(header, request, sender: 2) != EnqueueResult.Accepted)
                {
                    throw new InvalidOperationException("the reply ring was full: the parent sends one request at a time");
                }

                rings.Requests.Advance();
            }
        }
    }

    private void RingRoundTrip(SharedEndpointRings rings, long spinNs)
    {
        if (rings.Call(ping, sender: 1, out var correlation) != EnqueueResult.Accepted)
        {
            throw new InvalidOperationException("the request ring refused a message with no request outstanding");
        }

        if (!rings.Replies.WaitForMessage(ReplyTimeoutNs, spinNs))
        {
            throw new TimeoutException($"no reply over the ring within 5 s (child exited: {child.HasExited})");
        }

        if (!rings.Replies.TryReceive(pong, out var header, out _) || header.Correlation != correlation || pong[MessageBytes - 1] != ping[MessageBytes - 1])
        {
            throw new InvalidOperationException("the ring reply did not answer the request");
        }
    }

    private void SocketRoundTrip()
    {
        SocketIo.SendAll(socket, ping);
        if (!SocketIo.ReceiveExactly(socket, pong) || pong[MessageBytes - 1] != ping[MessageBytes - 1])
        {
            throw new InvalidOperationException("the peer did not send the message back over the socket");
        }
    }

    private static ProcessStartInfo PeerStartInfo(string socketPath, int? cpu) =>
        SelfProcess.StartInfo(PeerFlag, socketPath, cpu?.ToString(CultureInfo.InvariantCulture) ?? "-");

}

internal enum Transport
{
    Ring,
    SpinningRing,
    Socket,
}
