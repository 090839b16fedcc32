using System.Runtime.InteropServices;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Linux;

namespace Neokernel.Rt.Tests.CrossProcess;

public sealed class MemfdRegionMemoryTests
{
    [Fact]
    public void Create_IsZeroedSizeSealedAndShared()
    {
        using var memory = MemfdRegionMemory.Create("nk-test-create", Region.BytesFor(4));
        Assert.Equal(Region.BytesFor(4), memory.Length);
        Assert.True(memory.IsWritable);
        Assert.All(memory.Bytes.ToArray(), b => Assert.Equal(0, b));
        var seals = SharedMapping.Seals(memory.FileDescriptor);
        Assert.Equal(LinuxNative.F_SEAL_SHRINK | LinuxNative.F_SEAL_GROW, seals & (LinuxNative.F_SEAL_SHRINK | LinuxNative.F_SEAL_GROW));
        Assert.Equal(memory.Length, RandomAccess.GetLength(memory.FileDescriptor));
    }

    [Fact]
    public void Attach_SecondMappingSeesTheFirstOnesWrites()
    {
        using var memory = MemfdRegionMemory.Create("nk-test-shared", 128);
        using var reader = MemfdRegionMemory.Attach("r", memory.OpenReadOnlyDescriptor(), 128, writable: false);
        memory.Bytes[100] = 42;
        Assert.Equal(42, reader.ReadOnlyBytes[100]);
        Assert.False(reader.IsWritable);
    }

    [Fact]
    public void Attach_WrongLength_IsRefusedNamingBothSizes()
    {
        using var memory = MemfdRegionMemory.Create("nk-test-size", 128);
        var error = Assert.Throws<InvalidDataException>(() => MemfdRegionMemory.Attach("r", memory.OpenReadOnlyDescriptor(), 256, writable: false));
        Assert.Contains("128", error.Message, StringComparison.Ordinal);
        Assert.Contains("256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attach_ReadOnlyFdAsWritable_IsRefusedWithEacces()
    {
        using var memory = MemfdRegionMemory.Create("nk-test-ro", 128);
        var error = Assert.Throws<LinuxErrnoException>(() => MemfdRegionMemory.Attach("r", memory.OpenReadOnlyDescriptor(), 128, writable: true));
        Assert.Equal(Errnos.EACCES, error.Errno);
    }

    [Fact]
    public void ReadOnlyDescriptor_KernelRefusesAWritableSharedMapping()
    {
        using var memory = MemfdRegionMemory.Create("nk-test-mmap", 4096);
        using var readOnly = memory.OpenReadOnlyDescriptor();
        var mapped = LinuxNative.mmap(IntPtr.Zero, 4096, LinuxNative.PROT_READ | LinuxNative.PROT_WRITE, LinuxNative.MAP_SHARED, (int)readOnly.DangerousGetHandle(), 0);
        Assert.Equal(LinuxNative.MapFailed, mapped);
        Assert.Equal(Errnos.EACCES, Marshal.GetLastPInvokeError());
    }

    [Fact]
    public void Provider_AllocatesNamedSealedMemfd()
    {
        using var memory = (MemfdRegionMemory)new MemfdRegionMemoryProvider().Allocate("tank", Region.BytesFor(2));
        Assert.Equal("neokernel-region-tank", memory.Name);
        Assert.Equal("/memfd:neokernel-region-tank (deleted)", new FileInfo($"/proc/self/fd/{memory.FileDescriptor.DangerousGetHandle()}").LinkTarget);
    }

    [Fact]
    public void Dispose_ClosesTheFd()
    {
        var memory = MemfdRegionMemory.Create("nk-test-dispose", 64);
        var fd = memory.FileDescriptor;
        memory.Dispose();
        Assert.True(fd.IsClosed);
    }
}
