using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>
/// The TCP half of the allocating service beside the demo's loop: a loopback server that answers
/// each 64-byte request with a freshly formatted text reply (a string, its UTF-8 bytes, a list of
/// fields: what a gateway's session does per request), and a client that sends one request every
/// millisecond. It runs on background threads of the allocating process until that ends.
/// </summary>
internal sealed class TcpAllocatingService
{
    public const int RequestBytes = 64;
    private const int RequestIntervalMs = 1;

    private long served;

    public long Served => Interlocked.Read(ref served);

    /// <summary>Binds 127.0.0.1 on a free port and starts the server and the client threads.</summary>
    public static TcpAllocatingService Start()
    {
        var service = new TcpAllocatingService();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        new Thread(() => service.Serve(listener)) { IsBackground = true, Name = "tcp-service" }.Start();
        new Thread(() => Request(port)) { IsBackground = true, Name = "tcp-client" }.Start();
        return service;
    }

    private void Serve(TcpListener listener)
    {
        using var connection = listener.AcceptSocket();
        listener.Stop();
        var request = new byte[RequestBytes];
        while (SocketIo.ReceiveExactly(connection, request))
        {
            var fields = new List<string> { "ok", request[0].ToString(CultureInfo.InvariantCulture), DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture) };
            var reply = Encoding.UTF8.GetBytes(string.Join(';', fields).PadRight(RequestBytes)[..RequestBytes]);
            SocketIo.SendAll(connection, reply);
            Interlocked.Increment(ref served);
        }
    }

    private static void Request(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, port);
        var request = new byte[RequestBytes];
        var reply = new byte[RequestBytes];
        for (var i = 0; ; i++)
        {
            request[0] = (byte)i;
            SocketIo.SendAll(socket, request);
            if (!SocketIo.ReceiveExactly(socket, reply))
            {
                return;
            }

            Thread.Sleep(RequestIntervalMs);
        }
    }
}
