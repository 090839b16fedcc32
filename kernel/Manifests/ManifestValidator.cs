using System.Globalization;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Manifests;

/// <summary>A service manifest together with where each of its fields was written.</summary>
public sealed record LocatedService(ServiceManifest Manifest, ManifestPositions Positions, bool Simulated = false)
{
    public string File => Positions.File;
}

/// <summary>
/// Checks manifests against the rules of the runtime: each service on its own, then the system
/// as a whole (one writer per region, endpoints provided and routed, no call cycles). It collects
/// every problem rather than stopping at the first, because fixing a system file one error per
/// run is slow, and it never throws on bad input.
/// </summary>
public static partial class ManifestValidator
{
    /// <summary>Checks one service on its own: fields, words, ranges, and its program against <paramref name="catalog"/>.</summary>
    public static IReadOnlyList<ManifestDiagnostic> ValidateService(ServiceManifest manifest, ManifestPositions positions, ProgramCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(positions);
        var sink = new DiagnosticSink();
        CheckService(sink, new LocatedService(manifest, positions), catalog);
        return sink.Items;
    }

    /// <summary>Checks one service; true when it added no diagnostic (then its program's contracts are checked across services).</summary>
    internal static bool CheckService(DiagnosticSink sink, LocatedService service, ProgramCatalog? catalog)
    {
        var before = sink.Count;
        var (m, p) = (service.Manifest, service.Positions);
        CheckIdentity(sink, m, p);
        CheckProgram(sink, m, p, catalog);
        if (m.Timing is not null)
        {
            CheckTiming(sink, m.Timing, p);
        }

        CheckRegions(sink, m.Regions, p);
        CheckEndpoints(sink, m.Endpoints, p);
        CheckDevices(sink, m.Devices, p);
        CheckDeviceUris(sink, m.Devices, p);
        CheckLimits(sink, m, p);
        CheckRestart(sink, m.Restart, p);
        if (m.SafeState is not null)
        {
            CheckSafeState(sink, m.SafeState, m.Regions, p);
        }

        CheckDependsOn(sink, m, p);
        if (m.Retain is not null)
        {
            CheckRetain(sink, m.Retain, p);
        }

        return sink.Count == before;
    }

    private static void CheckIdentity(DiagnosticSink sink, ServiceManifest m, ManifestPositions p)
    {
        const string idRule = "lowercase letters, digits and dashes, 1..48 characters";
        if (!sink.Missing(p, "id", m.Id, idRule) && !ManifestRules.IsId(m.Id))
        {
            sink.At(p, "id", $"'{m.Id}' is not a valid service id", idRule);
        }

        if (!sink.Missing(p, "kind", m.Kind, ManifestRules.OneOf(ManifestRules.Kinds)))
        {
            sink.OneOf(p, "kind", m.Kind, ManifestRules.Kinds);
        }
    }

    private static void CheckProgram(DiagnosticSink sink, ServiceManifest service, ManifestPositions p, ProgramCatalog? catalog)
    {
        var program = service.Program;
        var types = catalog is null ? "a built-in program type" : DiagnosticSink.Names(catalog.All.Select(d => d.Type), "no program types are registered");
        if (sink.Missing(p, "program.type", program.Type, types) || catalog is null)
        {
            return;
        }

        var descriptor = catalog.Find(program.Type);
        if (descriptor is null)
        {
            sink.At(p, "program.type", $"unknown program type '{program.Type}'", types);
            return;
        }

        var before = sink.Count;
        CheckParameters(sink, program, descriptor, p);
        CheckTables(sink, program, descriptor, p);
        if (sink.Count == before && descriptor.Check is { } check)
        {
            var parameters = ProgramParameters.Parse(service.Id, descriptor.Parameters, program.Parameters, descriptor.Tables, program.Tables);
            foreach (var problem in check(parameters, service))
            {
                sink.At(p, $"program.{problem.Path}", problem.Problem, problem.Allowed);
            }
        }
    }

    /// <summary>Every table declared, its row count in bounds, each row's values against their columns as parameters are checked.</summary>
    private static void CheckTables(DiagnosticSink sink, ProgramManifest program, ProgramDescriptor descriptor, ManifestPositions p)
    {
        foreach (var (name, rows) in program.Tables)
        {
            var path = $"program.tables.{name}";
            var table = descriptor.FindTable(name);
            if (table is null)
            {
                sink.AtKey(p, path, $"unknown table for program '{program.Type}'", DiagnosticSink.Names(descriptor.Tables.Select(t => t.Name), "no tables"));
                continue;
            }

            if (rows.Count < table.RowsMin || rows.Count > table.RowsAllowed)
            {
                sink.At(p, path, $"{rows.Count} rows", $"{ManifestRules.Range(table.RowsMin, table.RowsAllowed)} rows: {table.Description}");
            }

            for (var i = 0; i < rows.Count; i++)
            {
                CheckValues(sink, rows[i], table.Columns, $"{path}[{i}]", $"column for table '{name}'", $"column of table '{name}'", p, table.OtherColumns);
            }
        }

        foreach (var table in descriptor.Tables)
        {
            if (table.RowsMin > 0 && !program.Tables.ContainsKey(table.Name))
            {
                sink.AtKey(p, $"program.tables.{table.Name}", $"required table of program '{program.Type}' is missing", $"{ManifestRules.Range(table.RowsMin, table.RowsAllowed)} rows: {table.Description}");
            }
        }
    }

    /// <summary>Each value against its declaration (type, range), every required one present, no unknown names.</summary>
    private static void CheckParameters(DiagnosticSink sink, ProgramManifest program, ProgramDescriptor descriptor, ManifestPositions p) =>
        CheckValues(sink, program.Parameters, descriptor.Parameters, "program.parameters", $"parameter for program '{program.Type}'", $"parameter of program '{program.Type}'", p);

    /// <summary>
    /// Named values (parameters, or one table row) against their declarations: type, range, required
    /// ones present, no unknown names (unless <paramref name="otherNames"/>: the program checks those).
    /// </summary>
    private static void CheckValues(DiagnosticSink sink, IReadOnlyDictionary<string, string> texts, IReadOnlyList<ParameterDeclaration> declarations, string path, string unknownWhat, string missingWhat, ManifestPositions p, bool otherNames = false)
    {
        foreach (var (name, text) in texts)
        {
            var valuePath = $"{path}.{name}";
            var declaration = declarations.FirstOrDefault(d => d.Name == name);
            if (declaration is null)
            {
                if (otherNames)
                {
                    continue;
                }

                sink.AtKey(p, valuePath, $"unknown {unknownWhat}", DiagnosticSink.Names(declarations.Select(d => d.Name), "none"));
            }
            else if (!declaration.TryRead(text, out _, out var problem))
            {
                sink.At(p, valuePath, problem, declaration.Allowed);
            }
        }

        foreach (var declaration in declarations)
        {
            if (declaration.Required && !texts.ContainsKey(declaration.Name))
            {
                sink.AtKey(p, $"{path}.{declaration.Name}", $"required {missingWhat} is missing", $"{declaration.Allowed}: {declaration.Description}");
            }
        }
    }

    private static void CheckTiming(DiagnosticSink sink, TimingManifest t, ManifestPositions p)
    {
        sink.OneOf(p, "timing.class", t.Class, ManifestRules.TimingClasses);
        CheckPriority(sink, t, p);
        if (t.Cpu is { } cpu)
        {
            sink.InRange(p, "timing.cpu", cpu, 0, ManifestRules.CpuMax);
        }

        var periodRange = ManifestRules.Range(ManifestRules.PeriodUsMin, ManifestRules.PeriodUsMax) + " µs";
        var periodOk = false;
        if (t.PeriodUs == 0 && p.Has("timing") && !p.Has("timing.periodUs"))
        {
            // A timing section grants a cyclic task; without a period there is nothing to grant.
            sink.AtKey(p, "timing.periodUs", "required field is missing", periodRange);
        }
        else
        {
            periodOk = sink.InRange(p, "timing.periodUs", t.PeriodUs, ManifestRules.PeriodUsMin, ManifestRules.PeriodUsMax, "µs");
        }

        var period = t.PeriodUs.ToString(CultureInfo.InvariantCulture);
        if (periodOk && (t.PhaseUs < 0 || t.PhaseUs >= t.PeriodUs))
        {
            sink.At(p, "timing.phaseUs", $"phase {Us(t.PhaseUs)} is not within the period of {period} µs", ManifestRules.Range(0, t.PeriodUs - 1) + " µs");
        }

        var deadlineUs = t.DeadlineUs ?? t.PeriodUs;
        if (periodOk && t.DeadlineUs is { } deadline && (deadline < 1 || deadline > t.PeriodUs))
        {
            var problem = deadline < 1 ? $"deadline {Us(deadline)} is not positive" : $"deadline {Us(deadline)} exceeds the period of {period} µs";
            sink.At(p, "timing.deadlineUs", problem, ManifestRules.Range(1, t.PeriodUs) + " µs (at most the period)");
            deadlineUs = -1;
        }

        if (periodOk && deadlineUs > 0 && t.BudgetUs is { } budget && (budget < 1 || budget > deadlineUs))
        {
            var limit = t.DeadlineUs is null ? $"the period of {period} µs (the default deadline)" : $"the deadline of {Us(deadlineUs)}";
            var problem = budget < 1 ? $"budget {Us(budget)} is not positive" : $"budget {Us(budget)} exceeds {limit}";
            sink.At(p, "timing.budgetUs", problem, ManifestRules.Range(1, deadlineUs) + " µs (at most the deadline)");
        }

        sink.OneOf(p, "timing.overrunPolicy", t.OverrunPolicy, ManifestRules.OverrunPolicies);
        sink.InRange(p, "timing.overrunsMax", t.OverrunsMax, ManifestRules.OverrunsMaxMin, ManifestRules.OverrunsMaxMax);
    }

    private static string Us(long value) => value.ToString(CultureInfo.InvariantCulture) + " µs";

    private static void CheckPriority(DiagnosticSink sink, TimingManifest t, ManifestPositions p)
    {
        switch (t.Class)
        {
            case "rt-fifo" when t.Priority == 0 && p.Has("timing") && !p.Has("timing.priority"):
                sink.AtKey(p, "timing.priority", "required field is missing for rt-fifo", ManifestRules.Range(ManifestRules.FifoPriorityMin, ManifestRules.FifoPriorityMax) + " (SCHED_FIFO priority)");
                break;
            case "rt-fifo":
                sink.InRange(p, "timing.priority", t.Priority, ManifestRules.FifoPriorityMin, ManifestRules.FifoPriorityMax, "(SCHED_FIFO priority)");
                break;
            case "best-effort":
                sink.InRange(p, "timing.priority", t.Priority, ManifestRules.NiceMin, ManifestRules.NiceMax, "(nice value)");
                break;
            case "rt-deadline" when t.Priority != 0:
                sink.At(p, "timing.priority", $"{t.Priority.ToString(CultureInfo.InvariantCulture)} is not allowed for rt-deadline, which is scheduled by deadline, not priority", "0");
                break;
        }
    }

    private static void CheckRegions(DiagnosticSink sink, List<RegionManifest> regions, ManifestPositions p)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < regions.Count; i++)
        {
            var region = regions[i];
            var path = $"regions[{i}]";
            if (!sink.Missing(p, path + ".name", region.Name, "lowercase letters, digits, '.' and '-'"))
            {
                CheckRegionName(sink, region.Name, path, p, seen, i);
            }

            sink.OneOf(p, path + ".access", region.Access, ManifestRules.RegionAccesses);
            if (region.Access == "write")
            {
                CheckWriterPoints(sink, region, path, p);
                CheckPointNames(sink, region, path, p);
            }
            else if (region.NumberedPoints is not null)
            {
                CheckNumberedPoints(sink, region.NumberedPoints, path + ".numberedPoints", p);
            }
        }
    }

    private static void CheckRegionName(DiagnosticSink sink, string name, string path, ManifestPositions p, Dictionary<string, int> seen, int index)
    {
        if (!ManifestRules.IsRegionName(name))
        {
            sink.At(p, path + ".name", $"'{name}' is not a valid region name", "lowercase letters, digits, '.' and '-'");
        }

        if (!seen.TryAdd(name, index))
        {
            sink.At(p, path + ".name", $"region '{name}' is listed twice in this service (also regions[{seen[name].ToString(CultureInfo.InvariantCulture)}])", "each region once, as read or write");
        }
    }

    private static void CheckWriterPoints(DiagnosticSink sink, RegionManifest region, string path, ManifestPositions p)
    {
        if (region.Points.Count == 0 && region.NumberedPoints is null)
        {
            sink.At(p, path + ".points", "the writer of a region must declare its points", $"1..{ManifestRules.PointsMax.ToString(CultureInfo.InvariantCulture)} unique point names in points, numberedPoints or both");
        }
    }

    /// <summary>Point names, named and numbered: each unique, all together at most <see cref="ManifestRules.PointsMax"/>.</summary>
    private static void CheckPointNames(DiagnosticSink sink, RegionManifest region, string path, ManifestPositions p)
    {
        var numbered = region.NumberedPoints is null ? null : CheckNumberedPoints(sink, region.NumberedPoints, path + ".numberedPoints", p);
        var total = region.Points.Count + (numbered?.Count ?? 0);
        if (total > ManifestRules.PointsMax)
        {
            var problem = numbered is null
                ? $"{region.Points.Count.ToString(CultureInfo.InvariantCulture)} points are too many"
                : $"{region.Points.Count.ToString(CultureInfo.InvariantCulture)} named and {numbered.Value.Count.ToString(CultureInfo.InvariantCulture)} numbered points are {total.ToString(CultureInfo.InvariantCulture)}, too many";
            sink.At(p, path + (region.Points.Count > 0 ? ".points" : ".numberedPoints"), problem, $"1..{ManifestRules.PointsMax.ToString(CultureInfo.InvariantCulture)} unique point names in one region (use more regions for more points)");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (numbered is { } series)
        {
            seen.UnionWith(series.Names());
        }

        for (var k = 0; k < region.Points.Count; k++)
        {
            var point = region.Points[k];
            if (point.Length == 0)
            {
                sink.At(p, $"{path}.points[{k}]", "a point name must not be empty", "a non-empty name");
            }
            else if (!seen.Add(point))
            {
                var also = numbered is { } s && s.Names().Contains(point, StringComparer.Ordinal) ? " (once by numberedPoints)" : "";
                sink.At(p, $"{path}.points[{k}]", $"point '{point}' is declared twice{also}", "unique point names");
            }
        }
    }

    /// <summary>Checks each field of a numbered series; the series when every one is right, else null.</summary>
    private static PointSeries? CheckNumberedPoints(DiagnosticSink sink, NumberedPointsManifest numbered, string path, ManifestPositions p)
    {
        const string prefixRule = "text that does not end in a digit, e.g. s (s0000, s0001, ...)";
        var before = sink.Count;
        if (!sink.Missing(p, path + ".prefix", numbered.Prefix, prefixRule) && char.IsAsciiDigit(numbered.Prefix[^1]))
        {
            sink.At(p, path + ".prefix", $"'{numbered.Prefix}' ends in a digit, so its names would run into the numbers", prefixRule);
        }

        var countInRange = p.Has(path + ".count")
            ? sink.InRange(p, path + ".count", numbered.Count, 1, ManifestRules.PointsMax, "points")
            : MissingCount(sink, path, p);
        var firstInRange = sink.InRange(p, path + ".first", numbered.First, 0, PointSeries.NumberMax);
        if (countInRange && firstInRange && (long)numbered.First + numbered.Count - 1 > PointSeries.NumberMax)
        {
            sink.At(p, path + ".count", $"numbers {numbered.First.ToString(CultureInfo.InvariantCulture)}.. run past {PointSeries.NumberMax.ToString(CultureInfo.InvariantCulture)}", $"first + count - 1 at most {PointSeries.NumberMax.ToString(CultureInfo.InvariantCulture)}");
        }

        if (sink.Count == before && numbered.Digits is { } digits)
        {
            var last = numbered.First + numbered.Count - 1;
            var needed = PointSeries.DigitsOf(last);
            if (digits < needed || digits > PointSeries.DigitsMax)
            {
                var problem = digits < needed
                    ? $"{digits.ToString(CultureInfo.InvariantCulture)} digits cannot write the last number, {last.ToString(CultureInfo.InvariantCulture)}"
                    : $"{digits.ToString(CultureInfo.InvariantCulture)} is out of range";
                sink.At(p, path + ".digits", problem, $"{needed.ToString(CultureInfo.InvariantCulture)}..{PointSeries.DigitsMax.ToString(CultureInfo.InvariantCulture)} (leave it out for {needed.ToString(CultureInfo.InvariantCulture)})");
            }
        }

        return sink.Count == before ? numbered.Series() : null;
    }

    private static bool MissingCount(DiagnosticSink sink, string path, ManifestPositions p)
    {
        sink.AtKey(p, path + ".count", "required field is missing", ManifestRules.Range(1, ManifestRules.PointsMax) + " points");
        return false;
    }

    private static void CheckEndpoints(DiagnosticSink sink, EndpointsManifest endpoints, ManifestPositions p)
    {
        var provided = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Provides.Count; i++)
        {
            var endpoint = endpoints.Provides[i];
            var path = $"endpoints.provides[{i}]";
            if (!sink.Missing(p, path + ".name", endpoint.Name, "an endpoint name") && !provided.Add(endpoint.Name))
            {
                sink.At(p, path + ".name", $"endpoint '{endpoint.Name}' is provided twice by this service", "unique endpoint names");
            }

            sink.InRange(p, path + ".maxMessageBytes", endpoint.MaxMessageBytes, 1, ManifestRules.MessageBytesMax, "bytes");
            sink.InRange(p, path + ".queueDepth", endpoint.QueueDepth, 1, ManifestRules.QueueDepthMax, "messages");
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Uses.Count; i++)
        {
            var path = $"endpoints.uses[{i}]";
            if (!sink.Missing(p, path, endpoints.Uses[i], "an endpoint name") && !used.Add(endpoints.Uses[i]))
            {
                sink.At(p, path, $"endpoint '{endpoints.Uses[i]}' is listed twice", "each used endpoint once");
            }
        }
    }

    private static void CheckDevices(DiagnosticSink sink, List<DeviceManifest> devices, ManifestPositions p)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            var path = $"devices[{i}]";
            if (!sink.Missing(p, path + ".name", device.Name, "a device name") && !names.Add(device.Name))
            {
                sink.At(p, path + ".name", $"device '{device.Name}' is declared twice in this service", "unique device names");
            }

            if (!sink.Missing(p, path + ".uri", device.Uri, "a URI with a scheme, e.g. sim://tank/level") && !ManifestRules.HasScheme(device.Uri))
            {
                sink.At(p, path + ".uri", $"'{device.Uri}' has no scheme", "a URI with a scheme, e.g. sim://tank/level or modbus-tcp://127.0.0.1:1502?unit=1");
            }

            sink.OneOf(p, path + ".access", device.Access, ManifestRules.DeviceAccesses);
        }
    }

    private static void CheckRestart(DiagnosticSink sink, RestartManifest r, ManifestPositions p)
    {
        sink.OneOf(p, "restart.policy", r.Policy, ManifestRules.RestartPolicies);
        sink.InRange(p, "restart.maxRestarts", r.MaxRestarts, 0, ManifestRules.RestartsMax);
        sink.InRange(p, "restart.withinMs", r.WithinMs, 1, ManifestRules.WithinMsMax, "ms");
        var initialOk = sink.InRange(p, "restart.backoffInitialMs", r.BackoffInitialMs, 0, long.MaxValue, "ms");
        if (initialOk && r.BackoffMaxMs < r.BackoffInitialMs)
        {
            sink.At(p, "restart.backoffMaxMs", $"{r.BackoffMaxMs.ToString(CultureInfo.InvariantCulture)} ms is less than backoffInitialMs ({r.BackoffInitialMs.ToString(CultureInfo.InvariantCulture)} ms)", $"at least {r.BackoffInitialMs.ToString(CultureInfo.InvariantCulture)} ms");
        }

        sink.InRange(p, "restart.heartbeatTimeoutMs", r.HeartbeatTimeoutMs, 0, long.MaxValue, "ms (0: three periods)");
    }

    private static void CheckSafeState(DiagnosticSink sink, SafeStateManifest safe, List<RegionManifest> regions, ManifestPositions p)
    {
        sink.OneOf(p, "safeState.onBadInput", safe.OnBadInput, ManifestRules.BadInputPolicies);
        if (safe.OnBadInput == "safe-state" && safe.Outputs.Count == 0)
        {
            sink.At(p, "safeState.outputs", "onBadInput is safe-state but no safe outputs are listed", "at least one {region, point, value}");
        }

        var written = regions.Where(r => r.Access == "write").ToList();
        for (var i = 0; i < safe.Outputs.Count; i++)
        {
            var output = safe.Outputs[i];
            var path = $"safeState.outputs[{i}]";
            var writtenNames = DiagnosticSink.Names(written.Select(r => r.Name), "none: this service writes no region");
            if (sink.Missing(p, path + ".region", output.Region, writtenNames))
            {
                continue;
            }

            var region = written.FirstOrDefault(r => r.Name == output.Region);
            if (region is null)
            {
                sink.At(p, path + ".region", $"region '{output.Region}' is not written by this service", writtenNames);
                continue;
            }

            var declared = region.DeclaredPoints();
            var points = DiagnosticSink.Names(declared, "none");
            if (!sink.Missing(p, path + ".point", output.Point, points) && !declared.Contains(output.Point, StringComparer.Ordinal))
            {
                sink.At(p, path + ".point", $"region '{region.Name}' has no point '{output.Point}'", points);
            }
        }
    }

    private static void CheckDependsOn(DiagnosticSink sink, ServiceManifest m, ManifestPositions p)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < m.DependsOn.Count; i++)
        {
            var path = $"dependsOn[{i}]";
            var name = m.DependsOn[i];
            if (sink.Missing(p, path, name, "a service id"))
            {
                continue;
            }

            if (name == m.Id)
            {
                sink.At(p, path, "a service cannot depend on itself", "ids of other services");
            }
            else if (!seen.Add(name))
            {
                sink.At(p, path, $"'{name}' is listed twice", "each service once");
            }
        }
    }
}
