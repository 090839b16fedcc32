using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>The peers themselves are present and work, so a failing interop test points at us, not at the bench.</summary>
public sealed class PeerSupportTests
{
    [Fact]
    public void Pymodbus_DebianPython_ImportsIt()
    {
        using var python = PeerProcess.Start(Peers.Python, "-c", "import pymodbus; print('pymodbus', pymodbus.__version__)");
        Assert.Equal(0, python.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("pymodbus 3.0.0", python.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void SocatPair_BytesWrittenAtOneEnd_ArriveAtTheOther()
    {
        using var pair = new SocatPair();
        using var a = new FileStream(pair.A, FileMode.Open, FileAccess.Write);
        using var b = new FileStream(pair.B, FileMode.Open, FileAccess.Read);
        a.Write([1, 2, 3]);
        a.Flush();
        var read = new byte[3];
        b.ReadExactly(read);
        Assert.Equal(new byte[] { 1, 2, 3 }, read);
    }
}
