using Neokernel.Contracts;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Faults;

/// <summary>
/// The injections of one run, ordered by time (injections at the same time keep the order they
/// were given). Its text is the comma-separated injections, in that order.
/// </summary>
public sealed class FaultSchedule
{
    /// <summary>The most injections one run takes: a bound on memory and on the replay command's length.</summary>
    public const int InjectionsMax = 100_000;

    public static FaultSchedule Empty { get; } = new([]);

    public FaultSchedule(IEnumerable<FaultInjection> injections)
    {
        ArgumentNullException.ThrowIfNull(injections);
        var list = injections.ToList();
        if (list.Count > InjectionsMax)
        {
            throw new ArgumentException($"{list.Count} injections are more than the {InjectionsMax} one run takes; split the campaign into more runs", nameof(injections));
        }

        Injections = [.. list.Select((injection, index) => (injection, index)).OrderBy(p => p.injection.AtNs).ThenBy(p => p.index).Select(p => p.injection)];
    }

    public IReadOnlyList<FaultInjection> Injections { get; }

    public int Count => Injections.Count;

    /// <summary>Reads a schedule's text; empty text is the empty schedule.</summary>
    public static FaultSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }

        var parts = text.Split(',');
        if (parts.Length > InjectionsMax)
        {
            throw new FaultSyntaxException(text[..Math.Min(text.Length, 60)] + "…", $"{parts.Length} injections are more than the {InjectionsMax} one run takes");
        }

        return new FaultSchedule(parts.Select(FaultInjection.Parse));
    }

    public override string ToString() => string.Join(",", Injections);

    /// <summary>
    /// What in this schedule does not fit <paramref name="system"/>: a service, endpoint, region or
    /// point that is not there, a device no service reads or writes as the fault needs, a device
    /// outside the simulation, a fault of the cyclic task on a service without one. Empty when it fits.
    /// </summary>
    public IReadOnlyList<string> Check(SystemDefinition system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var problems = new List<string>();
        foreach (var injection in Injections.Distinct())
        {
            var problem = Check(system, injection);
            if (problem is not null && !problems.Contains(problem))
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    /// <summary>
    /// The service that holds <paramref name="uri"/> with the access the fault acts on (for a Modbus
    /// slave: the master whose device connects to its address), or null.
    /// </summary>
    public static ServiceDefinition? HolderOf(SystemDefinition system, string uri, FaultTargetKind target)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (target == FaultTargetKind.ModbusSlave)
        {
            var key = ModbusSlaveKey(uri);
            return key is null ? null : system.Services.FirstOrDefault(s => s.Spec.Devices.Any(d => ModbusSlaveKey(d.Uri) == key));
        }

        var access = target == FaultTargetKind.DeviceRead ? DeviceAccess.Read : DeviceAccess.Write;
        return system.Services.FirstOrDefault(s => s.Spec.Devices.Any(d => d.Uri == uri && (d.Access & access) != 0));
    }

    /// <summary>
    /// The service an injection strikes, as its trace event names it: the service itself, the
    /// holder of the device, the endpoint's provider or the region's writer; null when that is the
    /// kernel (its own endpoints) or nothing in <paramref name="system"/>.
    /// </summary>
    public static ServiceDefinition? SubjectOf(SystemDefinition system, FaultInjection injection)
    {
        ArgumentNullException.ThrowIfNull(system);
        var name = FaultTarget.Of(injection.Target).Name;
        return injection.Descriptor.Target switch
        {
            FaultTargetKind.Service => system.Find(injection.Target),
            FaultTargetKind.Endpoint => system.Services.FirstOrDefault(s => s.Spec.Provides.Any(e => e.Name == name)),
            FaultTargetKind.Region => WriterOf(system, name),
            var device => HolderOf(system, injection.Target, device),
        };
    }

    /// <summary>The endpoints of <paramref name="system"/> whose queues are built: every provided one, and the kernel's that a route calls.</summary>
    public static IEnumerable<string> EndpointsOf(SystemDefinition system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var provided = system.Services.SelectMany(s => s.Spec.Provides).Select(e => e.Name);
        var kernel = system.Spec.Routes.Select(r => r.Endpoint).Where(e => e is KernelEndpoints.Status or KernelEndpoints.Control);
        return provided.Concat(kernel).Distinct().Order(StringComparer.Ordinal);
    }

    private static ServiceDefinition? WriterOf(SystemDefinition system, string region) =>
        system.Services.FirstOrDefault(s => s.Spec.Regions.Any(r => r.Name == region && r.Access == RegionAccess.Write));

    private static string? Check(SystemDefinition system, FaultInjection injection)
    {
        var descriptor = injection.Descriptor;
        switch (descriptor.Target)
        {
            case FaultTargetKind.Endpoint:
                return CheckEndpoint(system, injection);
            case FaultTargetKind.Region:
                return CheckRegion(system, injection);
        }

        if (descriptor.Target == FaultTargetKind.Service)
        {
            var service = system.Find(injection.Target);
            if (service is null)
            {
                return $"{injection}: no service '{injection.Target}' in system '{system.Spec.Name}'; its services are {string.Join(", ", system.Services.Select(s => s.Spec.Id))}";
            }

            if (injection.Kind is FaultKind.Hang or FaultKind.Overrun && service.Spec.Timing is null)
            {
                return $"{injection}: {descriptor.Word} acts on a cyclic task, and '{injection.Target}' has no timing section";
            }

            return null;
        }

        if (descriptor.Target == FaultTargetKind.ModbusSlave)
        {
            return CheckModbus(system, injection);
        }

        if (!injection.Target.StartsWith("sim://", StringComparison.Ordinal))
        {
            return $"{injection}: {descriptor.Word} acts on simulated devices (sim://…); '{injection.Target}' is not one";
        }

        if (HolderOf(system, injection.Target, descriptor.Target) is null)
        {
            var verb = descriptor.Target == FaultTargetKind.DeviceRead ? "reads" : "writes";
            var devices = system.Services.SelectMany(s => s.Spec.Devices).Where(d => d.Uri.StartsWith("sim://", StringComparison.Ordinal)).Select(d => d.Uri).Distinct().Order(StringComparer.Ordinal);
            return $"{injection}: no service {verb} device '{injection.Target}'; the system's devices are {string.Join(", ", devices)}";
        }

        return null;
    }

    private static string? CheckEndpoint(SystemDefinition system, FaultInjection injection)
    {
        var target = FaultTarget.Of(injection.Target);
        var word = injection.Descriptor.Word;
        if (!EndpointsOf(system).Contains(target.Name))
        {
            return $"{injection}: no endpoint '{target.Name}' in system '{system.Spec.Name}'; its endpoints are {string.Join(", ", EndpointsOf(system))}";
        }

        if (target.Part is not (null or FaultTarget.Requests or FaultTarget.Replies))
        {
            return $"{injection}: {word} acts on an endpoint's {FaultTarget.Requests} or {FaultTarget.Replies}, not '{target.Part}'; write {target.Name}, {target.Name}/{FaultTarget.Requests} or {target.Name}/{FaultTarget.Replies}";
        }

        return null;
    }

    private static string? CheckRegion(SystemDefinition system, FaultInjection injection)
    {
        var target = FaultTarget.Of(injection.Target);
        var writer = WriterOf(system, target.Name);
        if (writer is null)
        {
            var regions = system.Services.SelectMany(s => s.Spec.Regions).Where(r => r.Access == RegionAccess.Write).Select(r => r.Name).Distinct().Order(StringComparer.Ordinal);
            return $"{injection}: no region '{target.Name}' in system '{system.Spec.Name}'; its regions are {string.Join(", ", regions)}";
        }

        var points = writer.Spec.Regions.First(r => r.Name == target.Name && r.Access == RegionAccess.Write).Points;
        if (target.Part is { } point && !points.Contains(point))
        {
            return $"{injection}: region '{target.Name}' has no point '{point}'; its points are {string.Join(", ", points)}";
        }

        return null;
    }

    /// <summary>
    /// What a Modbus fault acts under, however the URI spells it: <c>modbus-tcp://a.b.c.d:port</c>
    /// for a TCP slave's address, <c>modbus-rtu:///dev/NAME</c> for a serial line (every slave the
    /// master reaches on it); null for any other text.
    /// </summary>
    public static string? ModbusSlaveKey(string uri)
    {
        if (!DeviceUri.TryParse(uri, out var address, out _))
        {
            return null;
        }

        return address!.Scheme switch
        {
            DeviceScheme.ModbusTcp => "modbus-tcp://" + address.Endpoint,
            DeviceScheme.ModbusRtu => "modbus-rtu://" + address.Path,
            _ => null,
        };
    }

    private static string? CheckModbus(SystemDefinition system, FaultInjection injection)
    {
        var word = injection.Descriptor.Word;
        if (ModbusSlaveKey(injection.Target) is null)
        {
            return $"{injection}: {word} acts on a Modbus slave as a master's device URI names it (modbus-tcp://HOST:PORT, or modbus-rtu:///dev/NAME for the line to RTU slaves); '{injection.Target}' is not one";
        }

        if (HolderOf(system, injection.Target, FaultTargetKind.ModbusSlave) is null)
        {
            var slaves = system.Services.SelectMany(s => s.Spec.Devices).Select(d => ModbusSlaveKey(d.Uri)).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            var known = slaves.Count == 0 ? "it has no Modbus master" : $"its Modbus slaves are {string.Join(", ", slaves)}";
            return $"{injection}: no service of system '{system.Spec.Name}' is a Modbus master of '{injection.Target}'; {known}";
        }

        if (injection.Kind == FaultKind.ModbusException && injection.HasValue && (injection.Value != Math.Floor(injection.Value) || injection.Value is < 1 or > 255))
        {
            return $"{injection}: the exception code must be a whole number from 1 to 255 (e.g. 2 illegal data address, 4 server device failure, 6 server busy)";
        }

        if (injection.Kind == FaultKind.ModbusGarbled && injection.HasValue && injection.Value is <= 0 or > 1)
        {
            return $"{injection}: the chance a reply is garbled must be above 0 and at most 1 (e.g. 0.1: one reply in ten)";
        }

        return null;
    }
}
