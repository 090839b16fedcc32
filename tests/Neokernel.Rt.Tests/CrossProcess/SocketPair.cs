using System.Net.Sockets;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>A connected pair of Unix-domain stream sockets in this process, for the in-process tests.</summary>
internal sealed class SocketPair : IDisposable
{
    public SocketPair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nk-pair-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        Left = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Left.Connect(new UnixDomainSocketEndPoint(path));
        Right = listener.Accept();
        File.Delete(path);
    }

    public Socket Left { get; }

    public Socket Right { get; }

    public void Dispose()
    {
        Left.Dispose();
        Right.Dispose();
    }
}
