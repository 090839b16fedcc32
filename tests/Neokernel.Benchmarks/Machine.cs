using System.Runtime.InteropServices;

namespace Neokernel.Benchmarks;

/// <summary>What the numbers were measured on.</summary>
internal sealed record Machine(string CpuModel, int Cores, string Kernel, string Os, string Runtime, string Architecture, bool IsVirtual)
{
    public static Machine Describe() => new(
        ReadCpuModel(),
        Environment.ProcessorCount,
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.VersionString,
        OsName(),
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        HasHypervisorFlag());

    private static string ReadCpuModel()
    {
        // x64 kernels say "model name"; many arm64 kernels only give "CPU part" numbers.
        foreach (var line in ReadLines("/proc/cpuinfo"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() is "model name" or "Model" or "Hardware")
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return "unknown (no model name in /proc/cpuinfo)";
    }

    /// <summary>x86 guests see the "hypervisor" CPU flag.</summary>
    private static bool HasHypervisorFlag() =>
        ReadLines("/proc/cpuinfo").Any(line => line.StartsWith("flags", StringComparison.Ordinal) && line.Split(' ').Contains("hypervisor"));

    private static string OsName()
    {
        foreach (var line in ReadLines("/etc/os-release"))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }

        return RuntimeInformation.OSDescription;
    }

    private static string? ReadFirstLine(string path) => ReadLines(path).FirstOrDefault()?.Trim();

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
