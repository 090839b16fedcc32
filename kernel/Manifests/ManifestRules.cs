using System.Globalization;

namespace Neokernel.Kernel.Manifests;

/// <summary>
/// The words and ranges manifests may use, in one place so that the validator, its messages
/// and the JSON Schemas say the same thing.
/// </summary>
public static class ManifestRules
{
    public const int IdLengthMax = 48;
    public static readonly IReadOnlyList<string> Kinds = ManifestWords.Kinds.Words;
    public static readonly IReadOnlyList<string> TimingClasses = ManifestWords.TimingClasses.Words;
    public static readonly IReadOnlyList<string> OverrunPolicies = ManifestWords.OverrunPolicies.Words;
    public static readonly IReadOnlyList<string> RegionAccesses = ManifestWords.RegionAccesses.Words;
    public static readonly IReadOnlyList<string> DeviceAccesses = ManifestWords.DeviceAccesses.Words;
    public static readonly IReadOnlyList<string> RestartPolicies = ManifestWords.RestartPolicies.Words;
    public static readonly IReadOnlyList<string> BadInputPolicies = ManifestWords.BadInputPolicies.Words;
    public static readonly IReadOnlyList<string> SupervisorStrategies = ManifestWords.SupervisorStrategies.Words;

    public const int FifoPriorityMin = 1;
    public const int FifoPriorityMax = 99;
    public const int NiceMin = -20;
    public const int NiceMax = 19;
    public const int CpuMax = 1023;
    public const long PeriodUsMin = 100;
    public const long PeriodUsMax = 10_000_000;
    public const int OverrunsMaxMin = 1;
    public const int OverrunsMaxMax = 1000;
    public const int PointsMax = 4096;
    public const int MessageBytesMax = 65536;
    public const int QueueDepthMax = 4096;
    public const int RestartsMax = 1000;
    public const long WithinMsMax = 3_600_000;

    /// <summary>A .NET service process needs a few MiB of its own (its runtime, stacks, code) besides what the service allocates.</summary>
    public const long MemoryLimitBytesMin = 8 * 1024 * 1024;

    /// <summary>The kernel's bounds of a CFS bandwidth period and quota (kernel/sched/core.c: 1 ms..1 s).</summary>
    public const long CpuPeriodUsMin = 1_000;
    public const long CpuPeriodUsMax = 1_000_000;
    public const long CpuQuotaUsMin = 1_000;

    /// <summary>The runtime's own descriptors (stdio, the kernel's socket, epoll, the granted memfds) need a few dozen.</summary>
    public const int OpenFilesMin = 64;

    /// <summary>Linux's default fs.nr_open, the most a process may be granted.</summary>
    public const int OpenFilesMax = 1_048_576;

    /// <summary>A retain store's snapshot: 4 KiB unless the manifest says otherwise, at most 1 MiB (it is read whole at start and written whole).</summary>
    public const int RetainBytesMaxDefault = 4096;
    public const int RetainBytesMaxMax = 1024 * 1024;

    /// <summary>
    /// A retain store's path: names of letters, digits, '.', '-' and '_' joined by '/', none of
    /// them '.' or '..', optionally after a leading '/' (absolute). Nothing to fold, so two paths
    /// name one directory exactly when their texts are equal.
    /// </summary>
    public static bool IsRetainPath(string? text)
    {
        if (text is not { Length: > 0 and <= 1024 })
        {
            return false;
        }

        var names = (text[0] == '/' ? text[1..] : text).Split('/');
        return names.All(n => n.Length > 0 && n != "." && n != ".." && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
    }

    /// <summary>Service ids: lowercase letters, digits and dashes, 1..48 characters.</summary>
    public static bool IsId(string? text) =>
        text is { Length: > 0 and <= IdLengthMax } && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    /// <summary>Region names: lowercase letters, digits, dots and dashes.</summary>
    public static bool IsRegionName(string? text) =>
        text is { Length: > 0 } && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-');

    /// <summary>A URI with a scheme (RFC 3986: a letter, then letters, digits, '+', '-', '.') and something after the ':'.</summary>
    public static bool HasScheme(string? uri)
    {
        var colon = uri?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (uri is null || colon < 1 || colon == uri.Length - 1 || !char.IsAsciiLetter(uri[0]))
        {
            return false;
        }

        return uri[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }

    internal static string OneOf(IReadOnlyList<string> words) => string.Join(", ", words);

    internal static string Range(long min, long max) =>
        $"{min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}";
}
