using System.Globalization;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// What the OS allows one service's process, decided by the kernel from the service's manifest
/// and the machine's <see cref="SandboxFeatures"/>. The kernel applies the layers that must hold
/// from the child's first instruction on every thread (no_new_privs, the capability bounding set,
/// the network namespace, Landlock) on the thread that starts it (<see cref="SandboxedSpawn"/>);
/// the child applies the rest once it holds its grants (<see cref="ServiceSandbox"/>): the user,
/// the capabilities it keeps, and the seccomp filter. The child's half travels in one environment
/// variable, <see cref="EnvironmentVariable"/>.
/// </summary>
public sealed record SandboxPolicy(
    SandboxUser? User,
    bool RealtimeCapabilities,
    bool AcceptsConnections,
    bool Seccomp,
    int LandlockAbi,
    bool OwnNetwork,
    IReadOnlyList<string> ReadPaths)
{
    public const string EnvironmentVariable = "NEOKERNEL_SANDBOX";

    /// <summary>The one tree the process may write (beside its procfs files): its retain store's directory, when its manifest has one.</summary>
    public IReadOnlyList<string> WritePaths { get; init; } = [];

    /// <summary>True when the process holds a retain store: seccomp then allows the rename that replaces a slot.</summary>
    public bool RetainsValues { get; init; }

    /// <summary>The capabilities it keeps, in words.</summary>
    public string CapabilitiesText => RealtimeCapabilities ? "CAP_SYS_NICE, CAP_IPC_LOCK (real-time timing)" : "none";

    /// <summary>Each layer, in words, for <c>audit</c>: what the OS allows the process.</summary>
    public IReadOnlyList<(string Layer, string Allows)> Describe() =>
    [
        ("user", User is null ? "the kernel's own (it does not run as root, so it cannot switch)" : $"{User}, no supplementary groups"),
        ("capabilities", User is null ? "the kernel's, less the bounding set it could drop" : RealtimeCapabilities ? $"{CapabilitiesText}, the bounding set those two, ambient none; no_new_privs" : "none; bounding and ambient sets empty; no_new_privs"),
        ("system calls", Seccomp ? $"seccomp allow-list of {SystemCalls.Allowed.Length} calls; socket, connect, bind, listen, fork, exec, ptrace and signals to other processes refused (EPERM){(AcceptsConnections ? "; accept on its listener" : "")}{(RetainsValues ? "; rename within its retain store" : "")}" : "any (this kernel has no seccomp filters)"),
        ("files", WritePaths.Count > 0 && LandlockAbi > 0 ? Landlock.Describe(LandlockAbi).Replace("no writes", $"no writes but files beneath its retain store {string.Join(", ", WritePaths)}", StringComparison.Ordinal) : Landlock.Describe(LandlockAbi)),
        ("network", OwnNetwork ? $"an empty network namespace, loopback down (one the kernel made for its service processes); only descriptors the kernel opened for it{(AcceptsConnections ? " (its listener)" : "")}" : "the kernel's network namespace; seccomp refuses new sockets"),
    ];

    /// <summary>
    /// The policy of <paramref name="spec"/>: the real-time capabilities only when its timing grants
    /// rt-fifo or rt-deadline and <paramref name="realTime"/> (not --no-rt); accept only when it
    /// holds a TCP listener (the kernel binds it; the service accepts on the descriptor it is handed).
    /// </summary>
    public static SandboxPolicy For(ServiceSpec spec, bool realTime, SandboxUser user, SandboxFeatures features, IReadOnlyList<string> readPaths) =>
        For(spec, realTime, user, features, readPaths, []);

    /// <summary>As above, writing beneath <paramref name="writePaths"/> (its retain store's directory) and nowhere else.</summary>
    public static SandboxPolicy For(ServiceSpec spec, bool realTime, SandboxUser user, SandboxFeatures features, IReadOnlyList<string> readPaths, IReadOnlyList<string> writePaths)
    {
        ArgumentNullException.ThrowIfNull(writePaths);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(features);
        var listens = spec.Devices.Any(d => DeviceUri.TryParse(d.Uri, out var address, out _) && address!.Transport == DeviceTransport.TcpListen);
        return new SandboxPolicy(
            features.Root ? user : null,
            features.Root && realTime && spec.IsRealtime,
            listens,
            features.Seccomp,
            features.LandlockAbi,
            features.Root,
            readPaths)
        {
            WritePaths = writePaths,
            RetainsValues = spec.Retain is not null,
        };
    }

    /// <summary>The child's half, for <see cref="EnvironmentVariable"/>.</summary>
    public string EncodeForChild() => string.Create(CultureInfo.InvariantCulture,
        $"user={(User is null ? "-" : $"{User.UserId}:{User.GroupId}")};realtime={Flag(RealtimeCapabilities)};accept={Flag(AcceptsConnections)};seccomp={Flag(Seccomp)};retain={Flag(RetainsValues)}");

    /// <summary>The child's half from <paramref name="text"/>; throws on anything but what <see cref="EncodeForChild"/> writes.</summary>
    public static SandboxPolicy DecodeForChild(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !fields.TryAdd(part[..equals], part[(equals + 1)..]))
            {
                throw new FormatException($"{EnvironmentVariable}='{text}': '{part}' is not one name=value of user, realtime, accept, seccomp, retain");
            }
        }

        var user = Field(fields, text, "user") switch
        {
            "-" => null,
            var ids => SandboxUser.Resolve(ids),
        };
        return new SandboxPolicy(user, ParseFlag(fields, text, "realtime"), ParseFlag(fields, text, "accept"), ParseFlag(fields, text, "seccomp"), 0, false, [])
        {
            // Absent in what a kernel before retain stores wrote: no store.
            RetainsValues = fields.ContainsKey("retain") && ParseFlag(fields, text, "retain"),
        };
    }

    private static string Flag(bool value) => value ? "1" : "0";

    private static bool ParseFlag(Dictionary<string, string> fields, string text, string name) => Field(fields, text, name) switch
    {
        "1" => true,
        "0" => false,
        var other => throw new FormatException($"{EnvironmentVariable}='{text}': {name}={other}, expected 0 or 1"),
    };

    private static string Field(Dictionary<string, string> fields, string text, string name) =>
        fields.TryGetValue(name, out var value) ? value : throw new FormatException($"{EnvironmentVariable}='{text}' has no {name}=");
}
