using Neokernel.Kernel;
using Neokernel.Kernel.Analysis;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel audit</c>: the least-privilege report. Runs the system in simulation, then lists
/// the capabilities each service was granted and never exercised, the timing grants (priority,
/// budget) larger than the measured need, and what the OS allows each service's process.
/// </summary>
internal static class AuditCommand
{
    /// <summary>Budget suggested: twice the longest measured execution, at least this much.</summary>
    public const long BudgetFloorNs = 10_000;

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args);
        var path = SimCommand.SinglePath(line, "audit");
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(path, catalog, error);
        var seed = line.Seed(system?.Spec.Seed ?? 1);
        var durationNs = line.DurationNs() ?? SimCommand.DurationDefaultNs;
        var sandboxUser = RunCommand.ResolveUser(line.Option("sandbox-user") ?? Rt.Linux.Sandbox.SandboxUser.DefaultName);
        var stateDirectory = line.Option("state-dir");
        line.RejectUnknown();
        if (system is null)
        {
            return 1;
        }

        var session = SimulationSession.Boot(system, catalog, seed);
        var outcome = session.Run(durationNs, failOnFault: false, cancellation);
        output.WriteLine($"least-privilege audit of {system.Spec.Name}: simulated {Format.Seconds(outcome.SimulatedNs)}, seed {seed}");
        AuditDevices.Write(session.Kernel, output);
        AuditSandbox.Write(system, sandboxUser, stateDirectory, output);
        var findings = WriteUnused(session.Kernel, output) + WriteTiming(session.Kernel, output);
        output.WriteLine(findings == 0 ? "no excess grants found" : $"{findings} grant(s) larger than needed");
        session.Kernel.Shutdown();
        return 0;
    }

    private static int WriteUnused(SystemKernel kernel, TextWriter output)
    {
        output.WriteLine("capabilities granted but never used:");
        var count = 0;
        foreach (var service in kernel.Services)
        {
            foreach (var (kind, name) in service.UnusedCapabilities())
            {
                if (kind is CapabilityKind.Clock or CapabilityKind.Timer)
                {
                    // Granted with the timing section, not listed on their own: audited as timing below.
                    continue;
                }

                output.WriteLine($"  {service.Id}: {kind.ToString().ToLowerInvariant()} '{name}' (remove it from {service.Definition.SourceFile})");
                count++;
            }
        }

        if (count == 0)
        {
            output.WriteLine("  none");
        }

        return count;
    }

    private static int WriteTiming(SystemKernel kernel, TextWriter output)
    {
        // The need is the 99.9th percentile of measured execution: the maximum of a run on a JIT or a
        // shared VM holds first-call compilation and preemption, which a budget should not be sized by.
        output.WriteLine("timing grants against measured need (execution p99.9 measured on this host):");
        var tasks = kernel.Services
            .Where(s => s.TaskSpec is not null)
            .Select(s => (Service: s, Task: new TimedTask(s.Id, s.TaskSpec!.Priority, s.TaskSpec.PeriodNs, s.TaskSpec.DeadlineNs, s.Statistics?.ExecutionNsP999 ?? s.ExecutionNsMaxEver)))
            .ToList();
        var count = 0;
        foreach (var (service, task) in tasks)
        {
            var spec = service.TaskSpec!;
            var suggestedBudgetNs = RoundUp(Math.Max(2 * task.ExecutionNs, BudgetFloorNs), 10_000);
            var budgetNote = spec.BudgetNs > suggestedBudgetNs ? $"; {Format.Micros(suggestedBudgetNs)} would do (2x measured)" : "";
            count += budgetNote.Length > 0 ? 1 : 0;
            output.WriteLine($"  {service.Id}: {ManifestWords.TimingClasses.Word(spec.SchedulingClass)} priority {spec.Priority}, period {Format.Micros(spec.PeriodNs)}, budget {Format.Micros(spec.BudgetNs)}; measured p99.9 {Format.Micros(task.ExecutionNs)} (max {Format.Micros(service.ExecutionNsMaxEver)}) over {service.CyclesEver} cycles{budgetNote}");
            if (spec.SchedulingClass != TimingClass.RtFifo)
            {
                continue;
            }

            var others = tasks.Where(t => t.Task.Id != task.Id && t.Service.TaskSpec!.SchedulingClass == TimingClass.RtFifo && SameCpu(t.Service.TaskSpec.Cpu, spec.Cpu)).Select(t => t.Task).ToList();
            var needed = TimingAnalysis.NeededPriority(task, others);
            if (needed is null)
            {
                output.WriteLine($"    priority {spec.Priority} is NOT enough: response-time analysis with measured execution misses the {Format.Micros(spec.DeadlineNs)} deadline");
            }
            else if (needed < spec.Priority)
            {
                output.WriteLine($"    priority {needed} suffices by response-time analysis against the other rt-fifo tasks on its CPU; {spec.Priority} is more than it needs");
                count++;
            }
        }

        return count;
    }

    private static bool SameCpu(int? a, int? b) => a is null || b is null || a == b;

    private static long RoundUp(long value, long step) => (value + step - 1) / step * step;
}
