using System.Globalization;

namespace Neokernel.Kernel.Manifests;

/// <summary>The resource limits of a service's process: memory, CPU bandwidth, open files.</summary>
public static partial class ManifestValidator
{
    private static void CheckLimits(DiagnosticSink sink, ServiceManifest m, ManifestPositions p)
    {
        if (m.Memory is { LimitBytes: not 0 and var limit } && limit < ManifestRules.MemoryLimitBytesMin)
        {
            var problem = limit < 0 ? $"{Text(limit)} is negative" : $"{Text(limit)} bytes is too little for a service process";
            sink.At(p, "memory.limitBytes", problem, $"0 (no limit) or {Text(ManifestRules.MemoryLimitBytesMin)} bytes (8 MiB) or more");
        }

        if (m.Cpu is not null)
        {
            CheckCpu(sink, m.Cpu, p);
        }

        if (m.Files is not null)
        {
            CheckFiles(sink, m.Files, p);
        }
    }

    private static void CheckCpu(DiagnosticSink sink, CpuManifest cpu, ManifestPositions p)
    {
        var periodOk = sink.InRange(p, "cpu.periodUs", cpu.PeriodUs, ManifestRules.CpuPeriodUsMin, ManifestRules.CpuPeriodUsMax, "µs");
        var quotaMax = periodOk ? cpu.PeriodUs * (ManifestRules.CpuMax + 1) : long.MaxValue;
        var allowed = periodOk
            ? $"{ManifestRules.Range(ManifestRules.CpuQuotaUsMin, quotaMax)} µs (CPU time per period of {Text(cpu.PeriodUs)} µs; one period per CPU)"
            : $"{Text(ManifestRules.CpuQuotaUsMin)} µs or more";
        if (cpu.QuotaUs == 0 && !p.Has("cpu.quotaUs"))
        {
            // A cpu section is there to limit; without a quota it limits nothing.
            sink.AtKey(p, "cpu.quotaUs", "required field is missing", allowed);
        }
        else if (cpu.QuotaUs < ManifestRules.CpuQuotaUsMin || cpu.QuotaUs > quotaMax)
        {
            sink.At(p, "cpu.quotaUs", $"{Text(cpu.QuotaUs)} is out of range", allowed);
        }
    }

    private static void CheckFiles(DiagnosticSink sink, FilesManifest files, ManifestPositions p)
    {
        const string why = "open files (the runtime itself holds a few dozen)";
        if (files.OpenMax == 0 && !p.Has("files.openMax"))
        {
            sink.AtKey(p, "files.openMax", "required field is missing", ManifestRules.Range(ManifestRules.OpenFilesMin, ManifestRules.OpenFilesMax) + " " + why);
            return;
        }

        sink.InRange(p, "files.openMax", files.OpenMax, ManifestRules.OpenFilesMin, ManifestRules.OpenFilesMax, why);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
