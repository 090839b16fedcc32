using System.Globalization;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Faults;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Neokernel.Cli.Campaigns;

/// <summary>
/// Reads a campaign file (YAML; its JSON Schema is manifests/schema/campaign.schema.json) into a
/// <see cref="CampaignSpec"/>, walking the node tree so that every problem is placed at its file,
/// line and column and named by its field (<c>faults[1].rate</c>). The system it names is loaded
/// and checked too, and the fault targets and invariant operands are checked against it.
/// </summary>
internal sealed class CampaignReader
{
    public const int SeedsMax = 100_000;
    public const int CellsMax = 100_000;
    public const long SampleDefaultNs = 10_000_000;

    internal static readonly string[] TopFields = ["campaign", "description", "system", "duration", "sample", "seeds", "faults", "invariants", "plot"];
    internal static readonly string[] FaultFields = ["fault", "targets", "at", "rate", "from", "until", "duration", "value"];
    private static readonly string[] InvariantKinds = ["safety", "liveness", "kernel"];
    internal static readonly string[] PlotFields = ["setpoint", "pv", "output"];
    internal static readonly string[] InvariantFields = ["name", "safety", "liveness", "kernel", "after", "within"];

    private readonly string file;
    private readonly List<ManifestDiagnostic> diagnostics = [];

    private CampaignReader(string file) => this.file = file;

    /// <summary>True when <paramref name="text"/> is a campaign file (its document has a top-level <c>campaign</c> field), so <c>validate</c> reads it as one.</summary>
    public static bool IsCampaign(string text) =>
        text.Split('\n').Any(line => line.StartsWith("campaign:", StringComparison.Ordinal));

    /// <summary>True when <paramref name="path"/> is a readable campaign file; anything that is not (a FIFO, a link loop, nothing) is the manifest loader's to report.</summary>
    public static bool IsCampaign(IManifestSource source, string path)
    {
        try
        {
            return source.ReadText(path) is { } text && IsCampaign(text);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads <paramref name="path"/>; the spec, or null with the diagnostics that say why.</summary>
    public static (CampaignSpec? Spec, SystemDefinition? System, IReadOnlyList<ManifestDiagnostic> Diagnostics) Load(string path, ProgramCatalog catalog)
    {
        var reader = new CampaignReader(path);
        string? text;
        try
        {
            // Bounded and regular files only: a FIFO or a device given as a campaign would hang or never end.
            text = new FileManifestSource().ReadText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            reader.Error(null, "(file)", $"cannot read the campaign file: {exception.Message}", "an existing, readable, regular campaign file");
            return (null, null, reader.diagnostics);
        }

        if (text is null)
        {
            reader.Error(null, "(file)", "no such file", "an existing campaign file");
            return (null, null, reader.diagnostics);
        }

        var spec = reader.Read(text);
        if (spec is null)
        {
            return (null, null, reader.diagnostics);
        }

        var loaded = ManifestLoader.LoadSystem(spec.SystemPath, new FileManifestSource(), catalog);
        if (loaded.System is null)
        {
            reader.diagnostics.AddRange(loaded.Diagnostics);
            return (null, null, reader.diagnostics);
        }

        reader.CheckAgainst(spec, loaded.System);
        return reader.diagnostics.Count == 0 ? (spec, loaded.System, reader.diagnostics) : (null, null, reader.diagnostics);
    }

    /// <summary>
    /// Reads campaign text alone, as if from <paramref name="file"/>, without loading the system it
    /// names or checking against it: the spec, or null with the diagnostics that say why (the fuzzer's entry).
    /// </summary>
    internal static (CampaignSpec? Spec, IReadOnlyList<ManifestDiagnostic> Diagnostics) ReadText(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new CampaignReader(file);
        return (reader.Read(text), reader.diagnostics);
    }

    private CampaignSpec? Read(string text)
    {
        if (YamlLimits.Check(text, file) is { } limit)
        {
            diagnostics.Add(limit);
            return null;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            diagnostics.Add(new ManifestDiagnostic(new SourceLocation(file, (int)exception.Start.Line, (int)exception.Start.Column), "yaml", $"not valid YAML: {exception.Message}", "a YAML mapping"));
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner and node loader give up this way on some broken flow collections
            // (an unclosed '[' or '{' running into the next lines, found by fuzzing): no position to give.
            diagnostics.Add(new ManifestDiagnostic(new SourceLocation(file, 0, 0), "yaml", $"not valid YAML: the parser gave up ({exception.Message}); look for an unclosed '[' or '{{'", "a YAML mapping"));
            return null;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Error(stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null, "(file)", "a campaign file is one YAML mapping", $"one document with fields {string.Join(", ", TopFields)}");
            return null;
        }

        var fields = Fields(root, "", TopFields);
        var name = Text(fields, root, "campaign", required: true);
        var description = Text(fields, root, "description", required: false);
        var system = Text(fields, root, "system", required: true);
        var durationNs = Time(fields, root, "duration", "", required: true, positive: true) ?? 0;
        var sampleNs = Time(fields, root, "sample", "", required: false, positive: true) ?? SampleDefaultNs;
        var seeds = Seeds(fields, root);
        var faults = new List<FaultEntry>();
        if (Sequence(fields, root, "faults", "") is { } faultNodes)
        {
            for (var i = 0; i < faultNodes.Children.Count; i++)
            {
                if (Fault(faultNodes.Children[i], $"faults[{i}]", durationNs) is { } entry)
                {
                    faults.Add(entry);
                }
            }
        }

        var invariants = new List<Invariant>();
        if (Sequence(fields, root, "invariants", "") is { } invariantNodes)
        {
            for (var i = 0; i < invariantNodes.Children.Count; i++)
            {
                if (InvariantOf(invariantNodes.Children[i], $"invariants[{i}]") is { } invariant)
                {
                    invariants.Add(invariant);
                }
            }
        }

        var plot = fields.TryGetValue("plot", out var plotNode) ? PlotOf(plotNode.Value) : null;
        if (diagnostics.Count > 0)
        {
            return null;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        var systemPath = Path.IsPathRooted(system!) ? system! : Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(directory, system!));
        var spec = new CampaignSpec(name!, description, file, systemPath, durationNs, sampleNs, seeds, faults, invariants, plot);
        var cells = spec.Cells().Count;
        if (cells > CellsMax)
        {
            Error(fields["faults"].Value, "faults", $"the matrix has {cells} cells", $"at most {CellsMax}; use rates rather than lists of times");
            return null;
        }

        return spec;
    }

    private void CheckAgainst(CampaignSpec spec, SystemDefinition system)
    {
        foreach (var entry in spec.Faults)
        {
            var sample = new FaultSchedule(entry.Targets.Select(t => new FaultInjection(entry.Kind, t, 0, entry.DurationNs, entry.Value)));
            foreach (var problem in sample.Check(system))
            {
                // The schedule's text leads its problem; the entry's place says where it is.
                var colon = problem.IndexOf(": ", StringComparison.Ordinal);
                diagnostics.Add(new ManifestDiagnostic(entry.Location, "targets", colon > 0 ? problem[(colon + 2)..] : problem, "targets of the system under test"));
            }
        }

        if (spec.Plot is { } plot)
        {
            foreach (var (name, operand) in (ReadOnlySpan<(string, Operand)>)[("setpoint", plot.Setpoint), ("pv", plot.ProcessValue), ("output", plot.Output)])
            {
                if (ConditionReader.Unknown(operand, system) is { } problem)
                {
                    diagnostics.Add(new ManifestDiagnostic(plotLocations[name], $"plot.{name}", $"'{operand.Text}': {problem}", "a region point or sim:// device of the system under test"));
                }
            }
        }

        for (var i = 0; i < spec.Invariants.Count; i++)
        {
            var invariant = spec.Invariants[i];
            foreach (var condition in (Condition?[])[invariant.Condition, invariant.After])
            {
                if (condition is not null && ConditionReader.Unknown(condition, system) is { } problem)
                {
                    diagnostics.Add(new ManifestDiagnostic(invariantLocations[i], $"invariants[{i}]", $"'{condition.Text}': {problem}", Condition.Syntax));
                }
            }
        }
    }

    private readonly List<SourceLocation> invariantLocations = [];
    private readonly Dictionary<string, SourceLocation> plotLocations = new(StringComparer.Ordinal);

    /// <summary><c>plot:</c> with setpoint, pv and output, each a region point or a sim:// device.</summary>
    private CampaignPlot? PlotOf(YamlNode node)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, "plot", "must be a mapping", $"fields {string.Join(", ", PlotFields)}, each a region point (REGION.POINT) or a sim:// device");
            return null;
        }

        var before = diagnostics.Count;
        var fields = Fields(mapping, "plot", PlotFields);
        var operands = new Operand?[PlotFields.Length];
        for (var i = 0; i < PlotFields.Length; i++)
        {
            var name = PlotFields[i];
            if (Text(fields, mapping, name, required: true, "plot") is not { } text)
            {
                continue;
            }

            var operand = Condition.ParseOperand(text, out var problem);
            if (operand is null || operand.IsConstant)
            {
                Error(fields[name].Value, $"plot.{name}", problem ?? $"'{text}' is a number", "a region point (REGION.POINT, e.g. tank.inputs.level) or a sim:// device (sim://tank/level)");
                continue;
            }

            operands[i] = operand;
            plotLocations[name] = Location(fields[name].Value);
        }

        return diagnostics.Count > before ? null : new CampaignPlot(operands[0]!, operands[1]!, operands[2]!);
    }

    private FaultEntry? Fault(YamlNode node, string path, long runNs)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, "a fault entry is a mapping", $"fields {string.Join(", ", FaultFields)}");
            return null;
        }

        var before = diagnostics.Count;
        var fields = Fields(mapping, path, FaultFields);
        var word = Text(fields, mapping, "fault", required: true, path);
        var descriptor = word is null ? null : FaultCatalog.Find(word);
        if (word is not null && descriptor is null)
        {
            Error(fields["fault"].Value, Join(path, "fault"), $"no fault '{word}'", $"the faults of docs/FAULTS.md: {FaultCatalog.Words}");
        }

        var targets = new List<string>();
        if (fields.TryGetValue("targets", out var targetNode))
        {
            if (targetNode.Value is YamlSequenceNode { Children.Count: > 0 } list && list.All(c => c is YamlScalarNode { Value.Length: > 0 }))
            {
                targets.AddRange(list.Children.Select(c => ((YamlScalarNode)c).Value!));
            }
            else if (targetNode.Value is YamlScalarNode { Value.Length: > 0 } one)
            {
                targets.Add(one.Value!);
            }
            else
            {
                Error(targetNode.Value, Join(path, "targets"), "must be a target or a list of them", "service ids or device URIs, e.g. [level-sensor, tank-controller]");
            }
        }
        else
        {
            Error(mapping, Join(path, "targets"), "required field is missing", "service ids or device URIs, e.g. [level-sensor, tank-controller]");
        }

        var times = new List<long>();
        FaultRate? rate = null;
        var hasAt = fields.TryGetValue("at", out var atNode);
        var hasRate = fields.TryGetValue("rate", out var rateNode);
        if (hasAt == hasRate)
        {
            Error(mapping, path, hasAt ? "has both 'at' and 'rate'" : "has neither 'at' nor 'rate'", "at: a time or a list of times (one cell each), or rate: COUNT/PERIOD such as 1/10s");
        }
        else if (hasAt)
        {
            var items = atNode.Value is YamlSequenceNode seq ? seq.Children.ToList() : [atNode.Value];
            foreach (var item in items)
            {
                if (TimeOf(item, Join(path, "at"), positive: false) is { } at)
                {
                    if (at >= runNs && runNs > 0)
                    {
                        Error(item, Join(path, "at"), $"{FaultText.Duration(at)} is not before the run's end", $"a time before the duration, {FaultText.Duration(runNs)}");
                    }

                    times.Add(at);
                }
            }
        }
        else
        {
            rate = RateOf(rateNode.Value, Join(path, "rate"));
        }

        var from = Time(fields, mapping, "from", path, required: false, positive: false) ?? 0;
        var until = Time(fields, mapping, "until", path, required: false, positive: true) ?? runNs;
        if (hasRate && until <= from)
        {
            Error(mapping, Join(path, "until"), $"the window {FaultText.Duration(from)}..{FaultText.Duration(until)} is empty", "until after from, and within the duration");
        }

        if (!hasRate && (fields.ContainsKey("from") || fields.ContainsKey("until")))
        {
            Error(fields.TryGetValue("from", out var f) ? f.Key : fields["until"].Key, path, "'from' and 'until' bound a rate's window", "drop them, or give a rate");
        }

        var durationNs = descriptor?.DurationDefaultNs ?? 0;
        if (fields.TryGetValue("duration", out var durationNode))
        {
            if (descriptor is { Lasts: false })
            {
                Error(durationNode.Key, Join(path, "duration"), $"{descriptor.Word} strikes at once and takes no duration", "no duration for this fault");
            }
            else if (TimeOf(durationNode.Value, Join(path, "duration"), positive: true) is { } d)
            {
                durationNs = d;
            }
        }

        var value = double.NaN;
        if (fields.TryGetValue("value", out var valueNode))
        {
            if (descriptor is { ValueMeaning: null })
            {
                Error(valueNode.Key, Join(path, "value"), $"{descriptor.Word} takes no value", "no value for this fault");
            }
            else if (valueNode.Value is not YamlScalarNode { Value: { } v } || !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || !double.IsFinite(value))
            {
                Error(valueNode.Value, Join(path, "value"), "not a finite number", descriptor?.ValueMeaning ?? "a number");
                value = double.NaN;
            }
        }
        else if (descriptor is { ValueRequired: true })
        {
            Error(mapping, Join(path, "value"), "required field is missing", $"{descriptor.Word}'s value: the {descriptor.ValueMeaning}");
        }

        if (diagnostics.Count > before || descriptor is null)
        {
            return null;
        }

        return new FaultEntry(descriptor.Kind, targets, times, rate, from, until, durationNs, value, Location(mapping));
    }

    private Invariant? InvariantOf(YamlNode node, string path)
    {
        invariantLocations.Add(Location(node));
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, "an invariant is a mapping", "safety: CONDITION, liveness: CONDITION or kernel: sound, with name, after, within");
            return null;
        }

        var before = diagnostics.Count;
        var fields = Fields(mapping, path, InvariantFields);
        var kinds = InvariantKinds.Where(fields.ContainsKey).ToList();
        if (kinds.Count != 1)
        {
            Error(mapping, path, kinds.Count == 0 ? "says none of safety, liveness, kernel" : $"says {string.Join(" and ", kinds)}", "exactly one of safety: CONDITION, liveness: CONDITION, kernel: sound");
            return null;
        }

        var kind = kinds[0] switch { "safety" => InvariantKind.Safety, "liveness" => InvariantKind.Liveness, _ => InvariantKind.Kernel };
        var text = Text(fields, mapping, kinds[0], required: true, path);
        Condition? condition = null;
        if (kind == InvariantKind.Kernel)
        {
            if (text is not null and not "sound")
            {
                Error(fields["kernel"].Value, Join(path, "kernel"), $"'{text}' is not a kernel invariant", "sound: the kernel's invariants (supervisor intensity, states, no capability escalation) and no kernel exception");
            }
        }
        else if (text is not null)
        {
            condition = ConditionAt(fields[kinds[0]].Value, Join(path, kinds[0]), text);
        }

        Condition? after = null;
        if (fields.TryGetValue("after", out var afterNode))
        {
            if (kind != InvariantKind.Safety)
            {
                Error(afterNode.Key, Join(path, "after"), "only a safety invariant has a trigger", "after: on a safety invariant");
            }
            else if (Text(fields, mapping, "after", required: true, path) is { } afterText)
            {
                after = ConditionAt(afterNode.Value, Join(path, "after"), afterText);
            }
        }

        var withinNs = Time(fields, mapping, "within", path, required: kind == InvariantKind.Liveness || after is not null, positive: false) ?? 0;
        if (kind == InvariantKind.Kernel && fields.TryGetValue("within", out var withinNode))
        {
            Error(withinNode.Key, Join(path, "within"), "a kernel invariant holds always", "no within on kernel: sound");
        }

        if (diagnostics.Count > before)
        {
            return null;
        }

        var name = Text(fields, mapping, "name", required: false, path) ?? $"{kinds[0]}: {text}{(after is null ? "" : $" within {FaultText.Duration(withinNs)} after {after.Text}")}";
        return new Invariant(name, kind, condition, after, withinNs);
    }

    private Condition? ConditionAt(YamlNode node, string path, string text)
    {
        var condition = Condition.Parse(text, out var problem);
        if (condition is null)
        {
            Error(node, path, problem ?? $"'{text}' is not a condition", Condition.Syntax);
        }

        return condition;
    }

    private IReadOnlyList<ulong> Seeds(Dictionary<string, (YamlNode Key, YamlNode Value)> fields, YamlMappingNode root)
    {
        if (!fields.TryGetValue("seeds", out var node))
        {
            Error(root, "seeds", "required field is missing", "a count (seeds 1..N) or a list of seeds");
            return [];
        }

        if (node.Value is YamlScalarNode { Value: { } count } && long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            if (n is < 1 or > SeedsMax)
            {
                Error(node.Value, "seeds", $"{n} seeds", $"1 to {SeedsMax}");
                return [];
            }

            return [.. Enumerable.Range(1, (int)n).Select(i => (ulong)i)];
        }

        if (node.Value is YamlSequenceNode { Children.Count: > 0 and <= SeedsMax } list)
        {
            var seeds = new List<ulong>();
            foreach (var item in list.Children)
            {
                if (item is YamlScalarNode { Value: { } s } && ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
                {
                    seeds.Add(seed);
                }
                else
                {
                    Error(item, "seeds", "not a seed", "an integer from 0 to 18446744073709551615");
                }
            }

            if (seeds.Distinct().Count() != seeds.Count)
            {
                Error(node.Value, "seeds", "a seed is listed twice", "distinct seeds");
            }

            return seeds;
        }

        Error(node.Value, "seeds", "neither a count nor a list of seeds", $"a count from 1 to {SeedsMax}, or a list of integers");
        return [];
    }

    private FaultRate? RateOf(YamlNode node, string path)
    {
        var text = node is YamlScalarNode { Value: { } v } ? v : "";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && long.TryParse(text[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
        {
            try
            {
                var period = FaultText.ParseDuration(text[(slash + 1)..], text, "period");
                if (period > 0)
                {
                    return new FaultRate(count, period);
                }
            }
            catch (FaultSyntaxException)
            {
                // Said below, with the field's place.
            }
        }

        Error(node, path, $"'{text}' is not a rate", "COUNT/PERIOD, e.g. 1/10s (one every ten seconds) or 3/1m");
        return null;
    }

    private Dictionary<string, (YamlNode Key, YamlNode Value)> Fields(YamlMappingNode mapping, string path, string[] known)
    {
        var fields = new Dictionary<string, (YamlNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            var name = key is YamlScalarNode { Value: { } k } ? k : "";
            if (!known.Contains(name))
            {
                Error(key, Join(path, name.Length > 0 ? name : "''"), name.Length > 0 ? "unknown field" : "a field without a name", string.Join(", ", known));
            }
            else if (!fields.TryAdd(name, (key, value)))
            {
                Error(key, Join(path, name), "given twice", "each field once");
            }
        }

        return fields;
    }

    private string? Text(Dictionary<string, (YamlNode Key, YamlNode Value)> fields, YamlMappingNode mapping, string name, bool required, string path = "")
    {
        if (!fields.TryGetValue(name, out var node))
        {
            if (required)
            {
                Error(mapping, Join(path, name), "required field is missing", "a text");
            }

            return null;
        }

        if (node.Value is YamlScalarNode { Value.Length: > 0 } scalar)
        {
            return scalar.Value;
        }

        Error(node.Value, Join(path, name), "must be a text, not empty", "a text");
        return null;
    }

    private long? Time(Dictionary<string, (YamlNode Key, YamlNode Value)> fields, YamlMappingNode mapping, string name, string path, bool required, bool positive)
    {
        if (!fields.TryGetValue(name, out var node))
        {
            if (required)
            {
                Error(mapping, Join(path, name), "required field is missing", "a time such as 10s, 250ms or 5m");
            }

            return null;
        }

        return TimeOf(node.Value, Join(path, name), positive);
    }

    private long? TimeOf(YamlNode node, string path, bool positive)
    {
        var text = node is YamlScalarNode { Value: { } v } ? v : "";
        try
        {
            var ns = FaultText.ParseDuration(text, text, "time");
            if (positive && ns <= 0)
            {
                Error(node, path, "must be longer than zero", "a time such as 10s, 250ms or 5m");
                return null;
            }

            return ns;
        }
        catch (FaultSyntaxException exception)
        {
            Error(node, path, exception.Problem, "a time with a unit: ns, us, ms, s, m or h (e.g. 10s, 250ms)");
            return null;
        }
    }

    private YamlSequenceNode? Sequence(Dictionary<string, (YamlNode Key, YamlNode Value)> fields, YamlMappingNode mapping, string name, string path)
    {
        if (!fields.TryGetValue(name, out var node))
        {
            Error(mapping, Join(path, name), "required field is missing", "a list");
            return null;
        }

        if (node.Value is YamlSequenceNode { Children.Count: > 0 } sequence)
        {
            return sequence;
        }

        Error(node.Value, Join(path, name), "must be a list with at least one entry", "a list");
        return null;
    }

    private void Error(YamlNode? node, string field, string problem, string allowed) =>
        diagnostics.Add(new ManifestDiagnostic(node is null ? new SourceLocation(file, 0, 0) : Location(node), field, problem, allowed));

    private SourceLocation Location(YamlNode node) => new(file, (int)Math.Min(node.Start.Line, int.MaxValue), (int)Math.Min(node.Start.Column, int.MaxValue));

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
