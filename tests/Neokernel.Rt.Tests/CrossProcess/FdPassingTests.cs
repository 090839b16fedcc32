using System.Text;
using Neokernel.Kernel.Capabilities;
using Neokernel.Rt.Linux;

namespace Neokernel.Rt.Tests.CrossProcess;

public sealed class FdPassingTests
{
    private const int FD_CLOEXEC = 1;

    [Fact]
    public void SendReceive_PayloadAndThreeFds_ArriveAsNewCloseOnExecFds()
    {
        using var pair = new SocketPair();
        using var a = MemfdRegionMemory.Create("nk-pass-a", 64);
        using var b = MemfdRegionMemory.Create("nk-pass-b", 64);
        using var c = MemfdRegionMemory.Create("nk-pass-c", 64);
        a.Bytes[0] = 1;
        b.Bytes[0] = 2;
        c.Bytes[0] = 3;

        FdPassing.Send(pair.Left, "three regions"u8, a.FileDescriptor, b.FileDescriptor, c.FileDescriptor);
        var buffer = new byte[FdPassing.PayloadBytesMax];
        Assert.True(FdPassing.TryReceive(pair.Right, buffer, out var length, out var fds));

        Assert.Equal("three regions", Encoding.UTF8.GetString(buffer, 0, length));
        Assert.Equal(3, fds.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(a.FileDescriptor.DangerousGetHandle(), fds[i].DangerousGetHandle());
            Assert.Equal(FD_CLOEXEC, LinuxNative.fcntl((int)fds[i].DangerousGetHandle(), LinuxNative.F_GETFD, 0) & FD_CLOEXEC);
            using var received = MemfdRegionMemory.Attach($"r{i}", fds[i], 64, writable: false);
            Assert.Equal(i + 1, received.ReadOnlyBytes[0]);
        }
    }

    [Fact]
    public void Messages_KeepTheirBoundariesAndOrder_WithAndWithoutFds()
    {
        using var pair = new SocketPair();
        using var memory = MemfdRegionMemory.Create("nk-pass-order", 64);
        FdPassing.Send(pair.Left, "first"u8);
        FdPassing.Send(pair.Left, "second"u8, memory.FileDescriptor);
        FdPassing.Send(pair.Left, ReadOnlySpan<byte>.Empty);
        var buffer = new byte[64];

        Assert.True(FdPassing.TryReceive(pair.Right, buffer, out var length, out var fds));
        Assert.Equal("first", Encoding.UTF8.GetString(buffer, 0, length));
        Assert.Empty(fds);
        Assert.True(FdPassing.TryReceive(pair.Right, buffer, out length, out fds));
        Assert.Equal("second", Encoding.UTF8.GetString(buffer, 0, length));
        Assert.Single(fds).Dispose();
        Assert.True(FdPassing.TryReceive(pair.Right, buffer, out length, out fds));
        Assert.Equal(0, length);
    }

    [Fact]
    public void TryReceive_PeerClosed_ReturnsFalse()
    {
        using var pair = new SocketPair();
        pair.Left.Dispose();
        Assert.False(FdPassing.TryReceive(pair.Right, new byte[16], out _, out var fds));
        Assert.Empty(fds);
        Assert.True(FdPassing.WaitForHangup(pair.Right, 1_000));
    }

    [Fact]
    public void WaitForHangup_LivePeer_TimesOut()
    {
        using var pair = new SocketPair();
        Assert.False(FdPassing.WaitForHangup(pair.Right, 50));
    }

    [Fact]
    public void Send_ClosedFd_ThrowsNamingTheCall()
    {
        using var pair = new SocketPair();
        var memory = MemfdRegionMemory.Create("nk-pass-closed", 64);
        var fd = memory.FileDescriptor;
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => FdPassing.Send(pair.Left, "x"u8, fd));
    }

    [Fact]
    public void InheritedFds_MarkCloseOnExec_CoversAnFdOpenedWithoutIt()
    {
        const int F_DUPFD = 0;
        const int F_SETFD = 2;
        var inheritable = LinuxNative.fcntl(0, F_DUPFD, 3);
        Assert.True(inheritable >= 3);
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(inheritable, ownsHandle: true);
        Assert.Equal(0, LinuxNative.fcntl(inheritable, F_SETFD, 0));
        Assert.Equal(0, LinuxNative.fcntl(inheritable, LinuxNative.F_GETFD, 0) & FD_CLOEXEC);
        InheritedFds.MarkCloseOnExec();
        Assert.Equal(FD_CLOEXEC, LinuxNative.fcntl(inheritable, LinuxNative.F_GETFD, 0) & FD_CLOEXEC);
    }

    [Fact]
    public void Grant_EncodeDecode_RoundTrips()
    {
        var grant = CapabilityGrant.ForEndpoint("tank.setpoint", Rights.Call, capacity: 16, maxMessageBytes: 256);
        Assert.Equal(grant, CapabilityGrant.Decode(grant.Encode()));
        Assert.Equal(CapabilityKind.Endpoint, grant.Kind);
        Assert.Equal(SharedMessageRing.BytesFor(16, 256), grant.LengthBytes);
        Assert.Throws<InvalidDataException>(() => CapabilityGrant.Decode(grant.Encode().AsSpan(0, 10)));
    }
}
