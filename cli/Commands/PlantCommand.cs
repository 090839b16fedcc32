using System.Globalization;
using Neokernel.Kernel;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;
using Neokernel.Rt.Linux;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel plant serve tank --modbus HOST:PORT</c>: a plant model on its own, served as a
/// Modbus TCP slave on the paced loop until Ctrl-C, so a system on this machine or another (a board
/// whose I/O is that address) runs against it as against hardware. It is the same service, from
/// the same manifest, as the simulated hardware a system lists (manifests/services/tank-plant-modbus.yaml,
/// built into the binary), with its listening address replaced.
/// </summary>
internal static class PlantCommand
{
    /// <summary>The plants that can be served, with the manifest each is built from.</summary>
    private static readonly Dictionary<string, string> Plants = new(StringComparer.Ordinal) { ["tank"] = "plants/tank.yaml" };

    /// <summary>The listening address the embedded manifest names, which --modbus replaces.</summary>
    private const string ManifestAddress = "tcp-listen://127.0.0.1:1502";

    private const long StatusIntervalNs = 5_000_000_000;

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (args.Count == 0 || args[0] != "serve")
        {
            throw new UsageException("plant needs a subcommand: serve NAME --modbus HOST:PORT (see neokernel --help)");
        }

        var line = CommandLine.Parse(args.Skip(1).ToArray());
        if (line.Positional.Count != 1 || !Plants.TryGetValue(line.Positional[0], out var resource))
        {
            throw new UsageException($"plant serve takes one plant name; known: {string.Join(", ", Plants.Keys)}");
        }

        var listen = line.Option("modbus") ?? throw new UsageException("plant serve needs --modbus HOST:PORT (for example 127.0.0.1:1502)");
        var durationNs = line.DurationNs();
        line.RejectUnknown();
        var address = ListenAddress(listen);
        var system = Definition(resource, line.Positional[0], address, error);
        if (system is null)
        {
            return 1;
        }

        using var platform = new PacedPlatform(1, Composition.Devices());
        var kernel = new SystemKernel(system, Composition.Catalog(), platform);
        kernel.Boot();
        var plant = kernel.Services[0];
        if (plant.State != Kernel.Services.ServiceState.Running)
        {
            error.WriteLine($"neokernel: plant {line.Positional[0]} did not start: {plant.LastFault}");
            kernel.Shutdown();
            return 3;
        }

        output.WriteLine($"serving plant {line.Positional[0]} as a Modbus TCP slave on {address.Endpoint}, unit {system.Services[0].Spec.Program.Parameters.Integer("unit")}: level in input registers 0-1 (float32 m) and 2 (mm), pump command in holding register 0 (0.01 %), full in discrete input 0");
        output.Flush();
        var endNs = durationNs is { } d ? platform.NowNs + d : long.MaxValue;
        while (!cancellation.IsCancellationRequested && platform.NowNs < endNs)
        {
            platform.RunUntil(Math.Min(endNs, platform.NowNs + StatusIntervalNs), cancellation);
            if (plant.State == Kernel.Services.ServiceState.Failed)
            {
                error.WriteLine($"neokernel: plant {line.Positional[0]} stopped: {plant.LastFault}");
                kernel.Shutdown();
                return 3;
            }
        }

        kernel.Shutdown();
        output.WriteLine($"plant {line.Positional[0]} stopped after {Format.Seconds(platform.NowNs)}");
        return 0;
    }

    private static DeviceAddress ListenAddress(string listen)
    {
        var text = $"tcp-listen://{listen}?connectionsMax=8";
        if (!DeviceUri.TryParse(text, out var address, out var problem))
        {
            throw new UsageException($"--modbus {listen}: {problem.Problem}; give an IPv4 address and a port, for example 127.0.0.1:1502");
        }

        return address!;
    }

    /// <summary>The plant's manifest with its listening address replaced, checked as validate checks it, as a one-service system.</summary>
    private static SystemDefinition? Definition(string resource, string name, DeviceAddress address, TextWriter error)
    {
        using var stream = typeof(PlantCommand).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the binary has no manifest for plant {name} ({resource})");
        using var reader = new StreamReader(stream);
        var yaml = reader.ReadToEnd();
        if (!yaml.Contains(ManifestAddress, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the manifest of plant {name} no longer listens on {ManifestAddress}; update PlantCommand");
        }

        var source = new InMemoryManifestSource();
        var file = $"plant-{name}.yaml";
        source.Add(file, yaml.Replace(ManifestAddress, $"tcp-listen://{address.Endpoint}", StringComparison.Ordinal));
        var catalog = Composition.Catalog();
        var (manifest, diagnostics) = ManifestLoader.LoadService(file, source, catalog);
        if (manifest is null)
        {
            error.WriteLine(ManifestReport.Format(diagnostics).TrimEnd());
            return null;
        }

        var system = new SystemManifest { System = $"plant-{name}", Description = $"plant {name} served over Modbus TCP" };
        return SpecBuilder.Definition(system, file, [(manifest, file)], catalog);
    }
}
