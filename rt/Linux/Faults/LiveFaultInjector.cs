using System.Globalization;
using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Simulation.Faults;

namespace Neokernel.Rt.Linux.Faults;

/// <summary>A fault struck at a running system, and what became of its service since, as the live table shows it.</summary>
public sealed record LiveInjectionStatus(long AtNs, string ServiceId, string Fault, string Struck, string Outcome);

/// <summary>
/// Live fault injection on the real-time platform (<c>neokernel fault inject SERVICE FAULT</c>):
/// the fault names of docs/FAULTS.md, where they make sense on a running system. At a service in a
/// process of its own: crash is kill -9, hang SIGSTOP for its duration then SIGCONT, memory
/// exhaustion the process allocating until its memory limit stops it, and the device and Modbus
/// faults (a sensor stuck, an actuator stuck, a Modbus reply lost, replaced by an exception or
/// garbled, a disconnect) on its own device channels. At a service in the kernel's process: crash
/// (the kernel's fault path, as in the simulation) and the device and Modbus faults; a hang or a
/// memory exhaustion there would be the kernel's own, and is refused. Faults of the simulation's
/// other seams (IPC, regions, clock, overrun) are refused with where to inject them instead.
/// Each strike is a <c>fault-inject</c> trace event; <see cref="Capture"/> says per injection
/// whether its service recovered and how long after the injection it ran its first cycle again.
/// </summary>
public sealed class LiveFaultInjector(SystemKernel kernel, PacedPlatform platform, ProcessServiceHost? processes, Func<string, bool> isolated)
{
    /// <summary>Injections kept for the table, the latest last.</summary>
    public const int KeptMax = 64;

    private readonly List<Record> injections = [];

    /// <summary>
    /// Strikes <paramref name="fault"/> (<c>KIND[:TARGET][+DURATION][=VALUE]</c>; a device fault's
    /// target defaults to the service's one device it fits) at <paramref name="serviceId"/>.
    /// Returns what struck; throws <see cref="ArgumentException"/> naming what was wrong and what
    /// to do instead. Any thread but the kernel's loop: it waits for the loop and the process.
    /// </summary>
    public string Inject(string serviceId, string fault, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        ArgumentNullException.ThrowIfNull(fault);
        var service = kernel.System.Find(serviceId)
            ?? throw new ArgumentException($"no service '{serviceId}' in system '{kernel.System.Spec.Name}'; its services are {string.Join(", ", kernel.System.Services.Select(s => s.Spec.Id))}");
        var inProcess = !isolated(serviceId);
        var route = Route(DescriptorOf(fault).Kind, inProcess, serviceId);
        var injection = Resolve(service.Spec, fault);
        var before = OnLoop(() => Before(serviceId), timeout);
        var struck = route switch
        {
            Strike.Process => Wait(processes!.InjectAsync(serviceId, injection), timeout, serviceId),
            Strike.KernelFault => OnLoop(() => kernel.InjectFault(serviceId, "crashed (injected fault)") ? "the kernel's fault path (it runs in the kernel's process)" : throw new ArgumentException($"'{serviceId}' is not running"), timeout),
            _ => OnLoop(() =>
            {
                platform.Faults!.InjectNow(injection);
                return "on its channel, in the kernel's process";
            }, timeout),
        };
        OnLoop(() => Remember(serviceId, before, injection, struck), timeout);
        return struck;
    }

    /// <summary>Each injection kept, with what became of its service. Loop thread (the status board).</summary>
    public IReadOnlyList<LiveInjectionStatus> Capture(long nowNs)
    {
        var statuses = new LiveInjectionStatus[injections.Count];
        for (var i = 0; i < statuses.Length; i++)
        {
            var r = injections[i];
            r.Settled ??= Settled(r);
            statuses[i] = new LiveInjectionStatus(r.AtNs, r.ServiceId, r.Fault, r.Struck, r.Settled ?? Outcome(r, nowNs));
        }

        return statuses;
    }

    private enum Strike
    {
        Process,
        KernelFault,
        Platform,
    }

    private Strike Route(FaultKind kind, bool inProcess, string serviceId)
    {
        var word = FaultCatalog.Of(kind).Word;
        if (kind is FaultKind.Crash or FaultKind.Hang or FaultKind.MemoryExhaustion)
        {
            if (!inProcess && processes is not null)
            {
                return Strike.Process;
            }

            return kind == FaultKind.Crash
                ? Strike.KernelFault
                : throw new ArgumentException($"'{serviceId}' runs in the kernel's process: a {word} there would be the kernel's own; inject it at an isolated service, or in the simulation (neokernel sim --faults)");
        }

        if (FaultCatalog.LiveMeaning(kind) is null)
        {
            throw new ArgumentException($"{word} acts at a seam of the simulation only; inject it with neokernel sim --faults or a campaign (docs/FAULTS.md)");
        }

        if (inProcess && platform.Faults is null)
        {
            throw new ArgumentException($"this run's platform carries no live faults, so {word} cannot reach '{serviceId}'");
        }

        return inProcess ? Strike.Platform : Strike.Process;
    }

    /// <summary>The fault <paramref name="fault"/> names by its first word.</summary>
    private static FaultDescriptor DescriptorOf(string fault)
    {
        var kindEnd = fault.IndexOfAny([':', '+', '=']);
        var word = kindEnd < 0 ? fault : fault[..kindEnd];
        return FaultCatalog.All.FirstOrDefault(d => d.Word == word)
            ?? throw new ArgumentException($"unknown fault '{word}'; the faults are {string.Join(", ", FaultCatalog.All.Select(d => d.Word))}");
    }

    /// <summary>The injection <paramref name="fault"/> names at <paramref name="service"/>, checked against the system.</summary>
    private FaultInjection Resolve(ServiceSpec service, string fault)
    {
        var kindEnd = fault.IndexOfAny([':', '+', '=']);
        var descriptor = DescriptorOf(fault);
        var word = descriptor.Word;
        var rest = kindEnd < 0 ? "" : fault[kindEnd..];
        string target;
        if (rest.StartsWith(':'))
        {
            var targetEnd = rest.IndexOfAny(['+', '='], 1);
            target = targetEnd < 0 ? rest[1..] : rest[1..targetEnd];
            rest = targetEnd < 0 ? "" : rest[targetEnd..];
        }
        else
        {
            target = DefaultTarget(service, descriptor);
        }

        FaultInjection injection;
        try
        {
            injection = FaultInjection.Parse($"{word}:{target}@0s{rest}");
        }
        catch (FaultSyntaxException exception)
        {
            throw new ArgumentException(exception.Message);
        }

        // A process can be killed, stopped or run out of memory whatever it runs; the schedule's
        // checks of those are the simulation's (its hang stops a cyclic task).
        if (descriptor.Target != FaultTargetKind.Service && new FaultSchedule([injection]).Check(kernel.System) is [var problem, ..])
        {
            throw new ArgumentException(problem);
        }

        if (injection.Kind == FaultKind.MemoryExhaustion && service.Limits.MemoryLimitBytes == 0)
        {
            throw new ArgumentException($"'{service.Id}' declares no memory limit (memory.limitBytes in its manifest): exhausting its memory would exhaust the board's");
        }

        var subject = FaultSchedule.SubjectOf(kernel.System, injection)?.Spec.Id;
        return subject == service.Id
            ? injection
            : throw new ArgumentException($"{injection.Descriptor.Word} at '{target}' strikes '{subject ?? "the kernel"}', not '{service.Id}'");
    }

    private static string DefaultTarget(ServiceSpec service, FaultDescriptor descriptor)
    {
        var fits = descriptor.Target switch
        {
            FaultTargetKind.Service => [service.Id],
            FaultTargetKind.DeviceRead => service.Devices.Where(d => (d.Access & DeviceAccess.Read) != 0).Select(d => d.Uri).ToArray(),
            FaultTargetKind.DeviceWrite => service.Devices.Where(d => (d.Access & DeviceAccess.Write) != 0).Select(d => d.Uri).ToArray(),
            FaultTargetKind.ModbusSlave => service.Devices.Where(d => FaultSchedule.ModbusSlaveKey(d.Uri) is not null).Select(d => d.Uri).ToArray(),
            _ => [],
        };
        return fits switch
        {
            [var one] => one,
            [] => throw new ArgumentException($"'{service.Id}' holds nothing {descriptor.Word} acts on ({descriptor.Target})"),
            _ => throw new ArgumentException($"'{service.Id}' holds several devices {descriptor.Word} could strike: {string.Join(", ", fits)}; name one as {descriptor.Word}:URI"),
        };
    }

    private (long AtNs, int Restarts, long Recoveries) Before(string serviceId)
    {
        var service = kernel.Service(serviceId);
        return service.State == ServiceState.Running
            ? (platform.NowNs, service.Restarts, service.Recoveries.Count)
            : throw new ArgumentException($"'{serviceId}' is {service.State.ToString().ToLowerInvariant()}, not running; inject when it runs");
    }

    /// <summary>Traces the strike and keeps it for the table; <see cref="Resolve"/> made sure <paramref name="serviceId"/> is what it strikes.</summary>
    private bool Remember(string serviceId, (long AtNs, int Restarts, long Recoveries) before, FaultInjection injection, string struck)
    {
        var service = kernel.Service(serviceId);
        var fault = Describe(injection);
        kernel.Trace.Record(TraceEventKind.FaultInject, service.TraceId, $"live {fault} at {service.Id}: {struck}", 0, (long)injection.Kind);
        if (injections.Count == KeptMax)
        {
            injections.RemoveAt(0);
        }

        var endNs = injection.Descriptor.Lasts ? before.AtNs + injection.DurationNs : before.AtNs;
        injections.Add(new Record(before.AtNs, endNs, service.Id, fault, struck, before.Restarts, before.Recoveries, injection.Kind));
        return true;
    }

    /// <summary>The fault as the operator would write it: kind, target where it is not the service, duration, value.</summary>
    private static string Describe(FaultInjection injection)
    {
        var descriptor = injection.Descriptor;
        var target = descriptor.Target == FaultTargetKind.Service ? "" : ":" + injection.Target;
        var duration = descriptor.Lasts ? "+" + FaultText.Duration(injection.DurationNs) : "";
        var value = injection.HasValue ? "=" + injection.Value.ToString("R", CultureInfo.InvariantCulture) : "";
        return descriptor.Word + target + duration + value;
    }

    /// <summary>What an injection came to for good: its service's first recovery after it, or null while that is open.</summary>
    private string? Settled(Record r)
    {
        var service = kernel.Service(r.ServiceId);
        return service.Recoveries.Count > r.RecoveriesBefore && service.Recoveries.LastAtNs >= r.AtNs
            ? $"recovered: restarted, cycling again {Millis(service.Recoveries.LastAtNs - r.AtNs)} after the injection"
            : null;
    }

    private string Outcome(Record r, long nowNs)
    {
        var service = kernel.Service(r.ServiceId);
        if (service.State == ServiceState.Failed)
        {
            return "failed for good: the supervisor gave up" + (service.InSafeState ? "; outputs in their safe state" : "");
        }

        if (service.Restarts > r.RestartsBefore || service.State == ServiceState.Restarting)
        {
            return "faulted: restarting";
        }

        if (nowNs < r.EndNs)
        {
            return $"in effect until {Seconds(r.EndNs)}";
        }

        return r.Kind is FaultKind.Crash or FaultKind.MemoryExhaustion ? "struck: waiting for its fault" : "ended: it rode through without a restart";
    }

    private static string Seconds(long ns) => (ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture) + " s";

    private static string Millis(long ns) => (ns / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private T OnLoop<T>(Func<T> work, TimeSpan timeout)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        platform.Post(() =>
        {
            try
            {
                answer.TrySetResult(work());
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
            {
                answer.TrySetException(exception);
            }
        });
        return Wait(answer.Task, timeout, "the kernel's loop");
    }

    private static T Wait<T>(Task<T> task, TimeSpan timeout, string who)
    {
        try
        {
            return task.Wait(timeout) ? task.Result : throw new ArgumentException($"{who} did not answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (AggregateException exception) when (exception.InnerException is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException(exception.InnerException.Message);
        }
    }

    private sealed record Record(long AtNs, long EndNs, string ServiceId, string Fault, string Struck, int RestartsBefore, long RecoveriesBefore, FaultKind Kind)
    {
        /// <summary>The outcome once it no longer changes (the service recovered); a later fault's restart is that fault's.</summary>
        public string? Settled { get; set; }
    }
}
