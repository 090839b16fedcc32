using System.Globalization;
using System.Net.Sockets;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Rt.Tests.Isolation;

/// <summary>The service host's socket: a pair with no name, and what older versions left behind.</summary>
public sealed class ChildSocketTests
{
    /// <summary>A pid no process can have: above the largest pid_max Linux allows (2^22).</summary>
    private const int GonePid = 4_194_305;

    [Fact]
    public void RemoveLeftovers_SocketOfAGoneKernel_IsRemoved_LiveKernelsAndOtherFilesStay()
    {
        var directory = Directory.CreateTempSubdirectory("nk-leftovers-");
        var bound = new List<Socket>();
        try
        {
            var gone = Bind(bound, directory.FullName, $"neokernel-{GonePid}-level-sensor-3.sock");
            var mine = Bind(bound, directory.FullName, $"neokernel-{Environment.ProcessId}-level-sensor-1.sock");
            var live = Bind(bound, directory.FullName, "neokernel-1-pump-actuator-1.sock");
            var bench = Bind(bound, directory.FullName, $"neokernel-bench-{GonePid}.sock");
            var other = Path.Combine(directory.FullName, $"neokernel-{GonePid}-notes.txt");
            File.WriteAllText(other, "not a socket of ours");

            var removed = ChildSocket.RemoveLeftovers(directory.FullName, TextWriter.Null);

            Assert.Equal(1, removed);
            Assert.False(File.Exists(gone), "the socket of a kernel that is gone stayed");
            Assert.True(File.Exists(mine), "this kernel's own socket was removed");
            Assert.True(File.Exists(live), "the socket of a kernel that still runs (pid 1) was removed");
            Assert.True(File.Exists(bench), "a file whose name carries no kernel pid was removed");
            Assert.True(File.Exists(other), "a file that is not a .sock was removed");
        }
        finally
        {
            bound.ForEach(socket => socket.Dispose());
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Inherited_FdThatIsNotASocket_SaysWhatItNeeds()
    {
        using var file = File.OpenHandle(Path.GetTempFileName(), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.DeleteOnClose);
        var fd = (int)file.DangerousGetHandle();

        var error = Assert.ThrowsAny<Exception>(() => ChildSocket.Inherited(fd));

        Assert.Contains(fd.ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A socket file at <paramref name="name"/>, its socket kept open in <paramref name="bound"/>:
    /// .NET unlinks the file when the socket that bound it is disposed, so only an open one stands
    /// for the file a kernel killed with SIGKILL left.
    /// </summary>
    private static string Bind(List<Socket> bound, string directory, string name)
    {
        var path = Path.Combine(directory, name);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Add(socket);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return path;
    }
}
