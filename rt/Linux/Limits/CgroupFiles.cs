namespace Neokernel.Rt.Linux.Limits;

/// <summary>
/// The cgroup filesystem, as narrow as the limiter needs it: read and write a control file,
/// make and remove a group. The tests substitute a directory that behaves like it, so the v2
/// path is exercised on a machine that only has v1 (and the other way round).
/// </summary>
public interface ICgroupFiles
{
    /// <summary>The file's text, or null when it does not exist.</summary>
    string? Read(string path);

    /// <summary>One write of <paramref name="text"/>, as a cgroup control file expects; throws <see cref="IOException"/> with the kernel's reason.</summary>
    void Write(string path, string text);

    bool Exists(string path);

    void CreateDirectory(string path);

    /// <summary>The groups directly under <paramref name="path"/>.</summary>
    IEnumerable<string> Subdirectories(string path);

    /// <summary>Removes an empty group (rmdir; its control files go with it).</summary>
    void RemoveDirectory(string path);
}

/// <summary>The real cgroup filesystem under /sys/fs/cgroup.</summary>
public sealed class LinuxCgroupFiles : ICgroupFiles
{
    public static readonly LinuxCgroupFiles Instance = new();

    private LinuxCgroupFiles()
    {
    }

    public string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Write(string path, string text)
    {
        try
        {
            File.WriteAllText(path, text);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new IOException($"writing '{text}' to {path}: {exception.Message}", exception);
        }
        catch (IOException exception)
        {
            throw new IOException($"writing '{text}' to {path}: {exception.Message}", exception);
        }
    }

    public bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    public void CreateDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new IOException($"creating {path}: {exception.Message}", exception);
        }
    }

    public IEnumerable<string> Subdirectories(string path) => Directory.Exists(path) ? Directory.EnumerateDirectories(path) : [];

    public void RemoveDirectory(string path) => Directory.Delete(path, recursive: false);
}
