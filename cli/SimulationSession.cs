using System.Diagnostics;
using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;
using Neokernel.Rt.Simulation;
using Neokernel.Rt.Simulation.Faults;

namespace Neokernel.Cli;

/// <summary>The outcome of a simulated run.</summary>
internal sealed record SimulationOutcome(long SimulatedNs, double WallSeconds, string? Violation, long ViolationAtNs);

/// <summary>
/// One system on the deterministic platform: boots it, runs it on virtual time in slices,
/// checks the kernel's invariants after each slice and stops at the first violation.
/// </summary>
internal sealed class SimulationSession
{
    /// <summary>Invariants are checked at least this often, in simulated time.</summary>
    public const long CheckIntervalNs = 100_000_000;

    private SimulationSession(SystemKernel kernel, SimulationPlatform platform, IDeviceProvider trueDevices)
    {
        Kernel = kernel;
        Platform = platform;
        TrueDevices = trueDevices;
    }

    /// <summary>The simulated hardware beneath any injected fault: what a plant's device truly holds.</summary>
    public IDeviceProvider TrueDevices { get; }

    public SystemKernel Kernel { get; }

    public SimulationPlatform Platform { get; }

    /// <summary>The faults at the platform's seams; null: none were scheduled.</summary>
    public SimulationFaults? Faults => Platform.Faults;

    /// <summary>
    /// Boots <paramref name="system"/> on virtual time, with <paramref name="faults"/> (checked
    /// against the system by the caller) at the platform's seams; the kernel's warnings (a retain
    /// store that fell back) go to <paramref name="warnings"/> when given.
    /// </summary>
    public static SimulationSession Boot(SystemDefinition system, ProgramCatalog catalog, ulong seed, TextWriter? warnings = null, FaultSchedule? faults = null)
    {
        var injected = faults is { Count: > 0 } ? new SimulationFaults(faults, seed) : null;
        var devices = Composition.Devices();
        var platform = new SimulationPlatform(seed, devices, injected);
        var kernel = new SystemKernel(system, catalog, platform);
        injected?.Attach(kernel);
        if (warnings is not null)
        {
            kernel.Warned += (service, text) => warnings.WriteLine($"neokernel: warning: {service}: {text}");
        }

        kernel.Boot();
        return new SimulationSession(kernel, platform, devices);
    }

    public SimulationOutcome Run(long durationNs, bool failOnFault, CancellationToken cancellation = default)
    {
        var wall = Stopwatch.StartNew();
        var watch = new FaultWatch(Kernel, failOnFault);
        while (Platform.NowNs < durationNs && !cancellation.IsCancellationRequested)
        {
            Platform.RunUntil(Math.Min(durationNs, Platform.NowNs + CheckIntervalNs), cancellation);
            if (watch.Check() is { } violation)
            {
                return new SimulationOutcome(Platform.NowNs, wall.Elapsed.TotalSeconds, violation, Platform.NowNs);
            }
        }

        return new SimulationOutcome(Platform.NowNs, wall.Elapsed.TotalSeconds, null, 0);
    }

    /// <summary>Summary lines: what ran, how fast, what went wrong, the process image at the end, and the digest that pins the run.</summary>
    public void WriteSummary(TextWriter output, SimulationOutcome outcome, ulong seed)
    {
        var services = Kernel.Services;
        var speed = outcome.WallSeconds > 0 ? outcome.SimulatedNs / 1e9 / outcome.WallSeconds : 0;
        output.WriteLine($"system {Kernel.System.Spec.Name}: simulated {Format.Seconds(outcome.SimulatedNs)} in {Format.Number(outcome.WallSeconds, "0.00")} s wall ({Format.Number(speed, "0.0")} simulated s per wall s), seed {seed}");
        output.WriteLine($"services: {services.Count(s => s.State == ServiceState.Running)} running, {services.Count(s => s.State == ServiceState.Failed)} failed, {services.Count(s => s.InSafeState)} in safe state; restarts {services.Sum(s => s.Restarts)}; faults {services.Sum(s => s.Faults)}");
        output.WriteLine($"cycles {services.Sum(s => s.CyclesEver)}, overruns {services.Sum(s => s.OverrunsEver)}");
        if (Faults is { } faults)
        {
            var byKind = FaultCatalog.All.Where(d => faults.InjectedOf(d.Kind) > 0).Select(d => $"{d.Word} {faults.InjectedOf(d.Kind)}");
            var missed = faults.Missed > 0 ? $"; {faults.Missed} found nothing to strike" : "";
            output.WriteLine($"faults injected: {faults.Injected} of {faults.Schedule.Count} ({string.Join(", ", byKind)}){missed}");
        }

        foreach (var service in services.Where(s => s.Faults > 0))
        {
            output.WriteLine($"  {service.Id}: {service.State}, {service.Faults} faults, last: {service.LastFault}");
        }

        var frame = StatusBoard.Capture(Kernel, Platform.NowNs);
        output.WriteLine($"process image: {StatusBoard.PointsLine(frame)}");
        output.WriteLine($"trace: {Kernel.Trace.Count} events ({Kernel.Trace.Events(TraceEventKind.Fault).Count} faults in the ring)");
        output.WriteLine($"trace digest: {Kernel.Trace.DigestHex}");
    }
}
