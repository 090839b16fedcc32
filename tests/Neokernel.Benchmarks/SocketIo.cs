using System.Net.Sockets;

namespace Neokernel.Benchmarks;

/// <summary>Whole messages over a stream socket, for the socket anchors.</summary>
internal static class SocketIo
{
    public static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[socket.Send(data)..];
        }
    }

    /// <summary>False when the peer closed before a whole message arrived.</summary>
    public static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        var received = 0;
        while (received < buffer.Length)
        {
            var count = socket.Receive(buffer[received..]);
            if (count == 0)
            {
                return false;
            }

            received += count;
        }

        return true;
    }
}
