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
