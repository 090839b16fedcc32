using System.Diagnostics;
using System.Net.Sockets;

namespace Neokernel.Benchmarks;

/// <summary>
/// The anchor: a 64-byte ping-pong over a connected pair of Unix-domain stream sockets between
/// two threads of this process. Each sample is one round trip (two messages, two wake-ups),
/// timed on the sending thread.
/// </summary>
internal sealed class UnixSocketPingPong : IDisposable
{
    public const int MessageBytes = 64;

    private readonly string path;
    private readonly Socket client;
    private readonly Socket server;
    private readonly Thread echo;
    private readonly byte[] ping = new byte[MessageBytes];
    private readonly byte[] pong = new byte[MessageBytes];

    public UnixSocketPingPong()
    {
        path = Path.Combine(Path.GetTempPath(), $"neokernel-bench-{Environment.ProcessId}.sock");
        File.Delete(path);
        var endpoint = new UnixDomainSocketEndPoint(path);
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(endpoint);
            listener.Listen(1);
            client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(endpoint);
            server = listener.Accept();
        }

        File.Delete(path);
        for (var i = 0; i < ping.Length; i++)
        {
            ping[i] = (byte)(i * 3);
        }

        echo = new Thread(Echo) { IsBackground = true, Name = "uds-echo" };
        echo.Start();
    }

    public void WarmUp(int roundTrips)
    {
        for (var i = 0; i < roundTrips; i++)
        {
            RoundTrip();
        }
    }

    /// <summary>Round-trip times in Stopwatch ticks, sorted.</summary>
    public long[] Measure(int roundTrips)
    {
        var samples = new long[roundTrips];
        for (var i = 0; i < roundTrips; i++)
        {
            var start = Stopwatch.GetTimestamp();
            RoundTrip();
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(samples);
        return samples;
    }

    public void Dispose()
    {
        client.Shutdown(SocketShutdown.Send);
        echo.Join();
        client.Dispose();
        server.Dispose();
    }

    private void RoundTrip()
    {
        SocketIo.SendAll(client, ping);
        if (!SocketIo.ReceiveExactly(client, pong) || pong[MessageBytes - 1] != ping[MessageBytes - 1])
        {
            throw new InvalidOperationException("the echo thread did not send the message back");
        }
    }

    private void Echo()
    {
        var buffer = new byte[MessageBytes];
        while (SocketIo.ReceiveExactly(server, buffer))
        {
            SocketIo.SendAll(server, buffer);
        }
    }
}
