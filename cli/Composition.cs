using Neokernel.Controllers;
using Neokernel.Hil;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Cli;

/// <summary>What the neokernel binary has built in: the programs of every library, and the embedded simulated hardware.</summary>
internal static class Composition
{
    public static ProgramCatalog Catalog() => new ProgramCatalog().AddHil().AddControllers();

    public static SimulatedDeviceBus Devices() => new();

    /// <summary>
    /// How to start this binary again as a service host: the native binary itself, or dotnet and
    /// the neokernel assembly when running on the JIT (dotnet run, tests).
    /// </summary>
    public static Rt.Linux.Isolation.ServiceHostCommand ServiceHost(string systemPath)
    {
        var process = Environment.ProcessPath ?? "neokernel";
        var fullSystemPath = Path.GetFullPath(systemPath);
        if (Path.GetFileName(process) == "neokernel")
        {
            return new(process, [], fullSystemPath);
        }

        var apphost = Path.Combine(AppContext.BaseDirectory, "neokernel");
        if (File.Exists(apphost))
        {
            return new(apphost, [], fullSystemPath);
        }

        return new("dotnet", [Path.Combine(AppContext.BaseDirectory, "neokernel.dll")], fullSystemPath);
    }

    /// <summary>
    /// The OS sandbox of the service hosts <paramref name="command"/> starts for <paramref name="system"/>:
    /// this machine's features, <paramref name="user"/>, and the files they read.
    /// </summary>
    public static Rt.Linux.Sandbox.SandboxSettings Sandbox(Rt.Linux.Isolation.ServiceHostCommand command, SystemDefinition system, Rt.Linux.Sandbox.SandboxUser user) =>
        Rt.Linux.Sandbox.SandboxSettings.Create(
            user,
            Rt.Linux.Sandbox.SandboxFeatures.Probe(),
            command.FileName,
            command.PrefixArguments,
            system.Services.Select(s => s.SourceFile).Append(system.SourceFile).Append(command.SystemPath));

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
