using System.Globalization;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Rt.Linux.Limits;

/// <summary>
/// The resource limits a service's manifest sets on the process it runs in; zero means none.
/// Checked by the validator (ranges, minimums) before anything here sees them.
/// </summary>
public sealed record ProcessLimits(long MemoryBytes, long CpuQuotaUs, long CpuPeriodUs, int OpenFilesMax, bool Realtime)
{
    /// <summary>No limit at all.</summary>
    public static readonly ProcessLimits None = new(0, 0, 0, 0, false);

    public bool HasMemory => MemoryBytes > 0;

    public bool HasCpu => CpuQuotaUs > 0;

    public bool HasOpenFiles => OpenFilesMax > 0;

    /// <summary>
    /// The GC heap's hard limit: three quarters of the memory limit, the share .NET itself gives
    /// the heap in a memory-limited container, leaving the rest for the runtime, code and stacks.
    /// A child moved into its cgroup after it started has already read its parent's limit, so
    /// it is told this one on its command environment instead.
    /// </summary>
    public long GcHeapHardLimitBytes => MemoryBytes / 4 * 3;

    public static ProcessLimits Of(ServiceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new ProcessLimits(
            spec.Limits.MemoryLimitBytes,
            spec.Limits.CpuQuotaUs,
            spec.Limits.CpuPeriodUs,
            spec.Limits.FilesOpenMax,
            spec.IsRealtime);
    }

    /// <summary>The manifest fields as written, for messages: "memory.limitBytes 33554432, files.openMax 256".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (HasMemory)
        {
            parts.Add($"memory.limitBytes {Invariant(MemoryBytes)}");
        }

        if (HasCpu)
        {
            parts.Add($"cpu.quotaUs {Invariant(CpuQuotaUs)} per cpu.periodUs {Invariant(CpuPeriodUs)}");
        }

        if (HasOpenFiles)
        {
            parts.Add($"files.openMax {Invariant(OpenFilesMax)}");
        }

        return parts.Count == 0 ? "no limits" : string.Join(", ", parts);
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
