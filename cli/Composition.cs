using Neokernel.Gateway;
using Neokernel.Controllers;
using Neokernel.Fieldbus;
using Neokernel.Hil;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Cli;

/// <summary>What the neokernel binary has built in: the programs of every library, and the embedded simulated hardware.</summary>
internal static class Composition
{
    public static ProgramCatalog Catalog() => new ProgramCatalog().AddHil().AddControllers().AddFieldbus().AddGateway();

    public static SimulatedDeviceBus Devices() => new();

    /// <summary>
    /// How to start this binary again as a service host: the native binary itself, or dotnet and
    /// the neokernel assembly when running on the JIT (dotnet run, tests).
    /// </summary>
    public static Rt.Linux.Isolation.ServiceHostCommand ServiceHost()
    {
        var process = Environment.ProcessPath ?? "neokernel";
        if (Path.GetFileName(process) == "neokernel")
        {
            return new(process, []);
        }

        var apphost = Path.Combine(AppContext.BaseDirectory, "neokernel");
        if (File.Exists(apphost))
        {
            return new(apphost, []);
        }

        return new("dotnet", [Path.Combine(AppContext.BaseDirectory, "neokernel.dll")]);
    }

    /// <summary>
    /// The OS sandbox of the service hosts <paramref name="command"/> starts: this machine's
    /// features, <paramref name="user"/>, and what they read (the binary and the runtime; no
    /// manifest, since the kernel sends each host its service's spec).
    /// </summary>
    public static Rt.Linux.Sandbox.SandboxSettings Sandbox(Rt.Linux.Isolation.ServiceHostCommand command, Rt.Linux.Sandbox.SandboxUser user) =>
        Rt.Linux.Sandbox.SandboxSettings.Create(
            user,
            Rt.Linux.Sandbox.SandboxFeatures.Probe(),
            command.FileName,
            command.PrefixArguments,
            []);

    /// <summary>The environment variable that overrides the default state directory (as <c>--state-dir</c> does).</summary>
    public const string StateDirectoryVariable = "NEOKERNEL_STATE_DIR";

    /// <summary>
    /// Where a run's retain stores are, when <c>retain.path</c> is relative: <paramref name="option"/>
    /// (<c>--state-dir</c>), else $NEOKERNEL_STATE_DIR, else the system's directory beneath the XDG
    /// state home ($XDG_STATE_HOME, by default ~/.local/state): <c>~/.local/state/neokernel/tank-demo</c>.
    /// Outside the repository, so a run from a checkout leaves it clean, and kept between runs, so
    /// a restarted runtime finds its values.
    /// </summary>
    public static string StateDirectory(string? option, SystemDefinition system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!string.IsNullOrEmpty(option))
        {
            return Path.GetFullPath(option);
        }

        if (Environment.GetEnvironmentVariable(StateDirectoryVariable) is { Length: > 0 } variable)
        {
            return Path.GetFullPath(variable);
        }

        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(stateHome, "neokernel", system.Spec.Name);
    }

    /// <summary>Two services whose stores resolve to one directory, or one beneath the other: only a relative and an absolute path can, which validate cannot see.</summary>
    public static string? StoreOverlap(SystemDefinition system, Rt.Linux.Retain.LinuxRetainStorage storage)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(storage);
        var stores = system.Services.Where(s => s.Spec.Retain is not null).Select(s => (s.Spec.Id, Directory: storage.DirectoryOf(s.Spec.Retain!))).ToList();
        foreach (var (id, directory) in stores)
        {
            foreach (var (other, otherDirectory) in stores.Where(s => s.Id != id))
            {
                if (directory == otherDirectory || directory.StartsWith(otherDirectory + "/", StringComparison.Ordinal))
                {
                    return $"the retain store of '{id}' ({directory}) is {(directory == otherDirectory ? "the store" : "beneath the store")} of '{other}' ({otherDirectory}); give each service a directory of its own";
                }
            }
        }

        return null;
    }

    /// <summary>Loads and validates a system; prints the diagnostics and returns null when it is not sound.</summary>
    public static SystemDefinition? LoadSystem(string path, ProgramCatalog catalog, TextWriter error)
    {
        var result = ManifestLoader.LoadSystem(path, new FileManifestSource(), catalog);
        if (result.Succeeded)
        {
            return result.System;
        }

        error.WriteLine(ManifestReport.Format(result.Diagnostics).TrimEnd());
        return null;
    }
}
