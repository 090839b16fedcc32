using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Linux;

/// <summary>
/// Region memory in a memfd shared mapping, so the region's seqlock layout (see
/// <c>Neokernel.Kernel.Regions.Region</c>) is the same bytes in every process that maps it. The
/// creator (the kernel process) maps read-write and passes <see cref="FileDescriptor"/> to the
/// writer and <see cref="OpenReadOnlyDescriptor"/> to readers over SCM_RIGHTS; a reader maps
/// PROT_READ, so it physically cannot write the process image: the seqlock reader only reads.
/// </summary>
/// <remarks>
/// A read-only mapping still hands out <see cref="Bytes"/> as a <see cref="Span{T}"/> because
/// <see cref="RegionMemory"/> does; a store through it is a SIGSEGV that kills the reader, not a
/// corruption of the image. Dispose only after every user of <see cref="Bytes"/> has stopped.
/// </remarks>
public sealed class MemfdRegionMemory : RegionMemory
{
    private readonly SharedMapping mapping;

    private MemfdRegionMemory(SharedMapping mapping, string name)
    {
        this.mapping = mapping;
        Name = name;
    }

    /// <summary>Name given to memfd_create; shows in /proc/PID/fd as <c>/memfd:NAME</c>.</summary>
    public string Name { get; }

    public override int Length => mapping.Length;

    public override Span<byte> Bytes => mapping.Bytes;

    public ReadOnlySpan<byte> ReadOnlyBytes => mapping.Bytes;

    public bool IsWritable => mapping.IsWritable;

    /// <summary>The memfd, owned by this object: pass it with <see cref="FdPassing"/> to grant the same access this mapping has.</summary>
    public SafeFileHandle FileDescriptor => mapping.FileDescriptor;

    /// <summary>
    /// Creates a zeroed region of <paramref name="lengthBytes"/>. With <paramref name="sealSize"/>
    /// the size is sealed (F_SEAL_SHRINK|F_SEAL_GROW), so no holder of the fd can truncate it
    /// under another process's mapping (which would be SIGBUS there).
    /// </summary>
    public static MemfdRegionMemory Create(string name, int lengthBytes, bool sealSize = true) =>
        new(SharedMapping.Create(name, lengthBytes, sealSize), name);

    /// <summary>
    /// Maps a region fd received from another process, taking ownership of it. The fd's size
    /// (fstat) must equal <paramref name="lengthBytes"/>, and its size must be sealed. With
    /// <paramref name="writable"/> false the mapping is PROT_READ.
    /// </summary>
    public static MemfdRegionMemory Attach(string name, SafeFileHandle fd, int lengthBytes, bool writable) =>
        new(SharedMapping.Attach(fd, lengthBytes, writable, requireSizeSealed: true), name);

    /// <summary>
    /// A new fd for this region opened O_RDONLY (through /proc/self/fd): what a reader is given.
    /// mmap or mprotect with PROT_WRITE on it fail with EACCES. The caller owns the new fd.
    /// </summary>
    public SafeFileHandle OpenReadOnlyDescriptor() => mapping.OpenReadOnlyDescriptor();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mapping.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Allocates every region of a system in its own sealed memfd, ready to be passed to service processes.</summary>
public sealed class MemfdRegionMemoryProvider : IRegionMemoryProvider
{
    public RegionMemory Allocate(string regionName, int length) => MemfdRegionMemory.Create($"neokernel-region-{regionName}", length);
}
