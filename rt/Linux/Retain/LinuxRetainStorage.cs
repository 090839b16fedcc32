using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux.Sandbox;

namespace Neokernel.Rt.Linux.Retain;

/// <summary>
/// Retain stores on the real-time platform: directories beneath the run's state directory (a
/// relative <c>retain.path</c>) or where an absolute one says. The kernel's process makes each
/// directory (0700) and opens it; a service in its own process is handed that descriptor
/// (<see cref="OpenDirectory"/>) and writes through it alone, so it needs no path, no search
/// permission on the directories above, and nothing in its sandbox but the store itself
/// (<see cref="DirectoryOf"/> is the one tree Landlock lets it write). When services run as the
/// sandbox's user, the store and its files are given to that user.
/// </summary>
public sealed class LinuxRetainStorage : IRetainStorage
{
    /// <param name="stateDirectory">Where relative stores are: <c>run --state-dir</c>, by default beneath $XDG_STATE_HOME.</param>
    /// <param name="owner">The user service processes run as (the sandbox's, when the kernel is root), who must own the stores; null: the kernel's own.</param>
    public LinuxRetainStorage(string stateDirectory, SandboxUser? owner = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        StateDirectory = Path.GetFullPath(stateDirectory);
        Owner = owner;
    }

    public string StateDirectory { get; }

    public SandboxUser? Owner { get; }

    /// <summary>The absolute directory of <paramref name="spec"/>.</summary>
    public string DirectoryOf(RetainSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.IsAbsolute ? spec.Path : Path.Combine(StateDirectory, spec.Path);
    }

    public IRetainMedium Open(string serviceId, RetainSpec spec) =>
        new DirectoryRetainMedium(OpenDirectory(serviceId, spec), DirectoryOf(spec), spec.BytesMax + RetainRecord.OverheadBytes);

    /// <summary>
    /// Makes the store's directory if needed (parents too), gives it and its files to
    /// <see cref="Owner"/>, and opens it (read-only, close-on-exec): the descriptor a store writes
    /// through. Throws <see cref="RetainStorageException"/> saying which store and how to fix it.
    /// </summary>
    public SafeFileHandle OpenDirectory(string serviceId, RetainSpec spec)
    {
        var directory = DirectoryOf(spec);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("retain stores in directories are the Linux platform's");
        }

        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Unusable(serviceId, directory, $"cannot be made: {exception.Message}");
        }

        var fd = LinuxNative.open(directory, LinuxNative.O_RDONLY | RetainNative.O_DIRECTORY | LinuxNative.O_CLOEXEC);
        if (fd < 0)
        {
            throw Unusable(serviceId, directory, new LinuxErrnoException("open", RetainNative.Errno(), "").Message);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            GiveToOwner(serviceId, directory, fd);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return handle;
    }

    /// <summary>The directory and every file in it to the owner, so its process can replace and read them (files an earlier run wrote as another user too).</summary>
    private void GiveToOwner(string serviceId, string directory, int fd)
    {
        if (Owner is not { } owner)
        {
            return;
        }

        if (RetainNative.fchown(fd, owner.UserId, owner.GroupId) != 0)
        {
            throw Unusable(serviceId, directory, new LinuxErrnoException($"fchown({owner})", RetainNative.Errno(), "").Message);
        }

        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (RetainNative.fchownat(fd, Path.GetFileName(file), owner.UserId, owner.GroupId, RetainNative.AT_SYMLINK_NOFOLLOW) != 0)
            {
                throw Unusable(serviceId, directory, new LinuxErrnoException($"fchownat({Path.GetFileName(file)}, {owner})", RetainNative.Errno(), "").Message);
            }
        }
    }

    private static RetainStorageException Unusable(string serviceId, string directory, string why) =>
        new($"service '{serviceId}': retain store {directory} {why}; give neokernel run --state-dir a directory the kernel may write, or an absolute retain.path that is");
}

/// <summary>
/// The retain store of a service in its own process: the directory descriptor the kernel
/// handed it. The process never opens a path of its own; its one store is this descriptor.
/// </summary>
public sealed class GrantedRetainStorage(SafeFileHandle directory, string location) : IRetainStorage
{
    private bool opened;

    public IRetainMedium Open(string serviceId, RetainSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (opened)
        {
            throw new RetainStorageException($"service '{serviceId}': its retain store {location} is already open in this process");
        }

        opened = true;
        return new DirectoryRetainMedium(directory, location, spec.BytesMax + RetainRecord.OverheadBytes);
    }
}
