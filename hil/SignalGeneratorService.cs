using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.signal-generator</c>: test signals for commissioning and benchmarks. Every period
/// it writes every point of every region its manifest lets it write, with Good quality and the
/// cycle's start as source timestamp: a default waveform (sine, ramp, square, triangle or noise,
/// with amplitude, offset, period and a phase spread over the points), and the rows of table
/// <c>signals</c> giving other shapes to points by pattern or range, the first matching row
/// winning. The waveform runs on the kernel's monotonic time, so a restart continues it; noise
/// draws from the service's deterministic random stream, so a simulation is the same every run.
/// </summary>
public sealed class SignalGeneratorService : IService
{
    /// <summary>The most regions one generator writes: 64 full regions are 262,144 points per cycle.</summary>
    public const int RegionsMax = 64;

    public const string SignalsTable = "signals";

    private const double PeriodSecondsMin = 0.001;
    private const double PeriodSecondsMax = 86_400;

    /// <summary>The service-wide shape: every point no row of <c>signals</c> covers, and every column a row leaves out.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.Text("waveform", $"the default waveform: {string.Join(", ", Waveforms.Words)}", "sine"),
        ParameterDeclaration.Number("amplitude", "peak deviation from the offset (negative: inverted)", 1.0),
        ParameterDeclaration.Number("offset", "the value the waveform swings around", 0.0),
        ParameterDeclaration.Number("periodSeconds", "length of one period (noise: ignored)", 10.0, "s", min: PeriodSecondsMin, max: PeriodSecondsMax),
        ParameterDeclaration.Number("phaseSpreadPeriods", "phase offsets spread evenly over the points: 0 all in step, 1 over one whole period", 1.0, "periods", min: 0, max: 1),
    ];

    /// <summary>Rows that give points other shapes; a column a row leaves out is the service's parameter of that name.</summary>
    public static readonly TableDeclaration Signals = new(
        SignalsTable,
        "shapes for points by name pattern or range; the first row covering a point gives its shape, and a column left out takes the parameter of that name",
        [
            ParameterDeclaration.Text("region", "the region whose points the row covers; empty: every region the service writes"),
            ParameterDeclaration.RequiredText("points", "point names: a name, a pattern with * and ? (s00*), or a range FROM..TO (s0000..s0999)"),
            ParameterDeclaration.Text("waveform", $"{string.Join(", ", Waveforms.Words)}; empty: the waveform parameter"),
            ParameterDeclaration.Number("amplitude", "peak deviation from the offset", 1.0),
            ParameterDeclaration.Number("offset", "the value the waveform swings around", 0.0),
            ParameterDeclaration.Number("periodSeconds", "length of one period", 10.0, "s", min: PeriodSecondsMin, max: PeriodSecondsMax),
            ParameterDeclaration.Number("phaseSpreadPeriods", "phase offsets spread evenly over the row's points", 1.0, "periods", min: 0, max: 1),
        ])
    {
        RowsMax = 256,
    };

    private Running? running;

    /// <summary>The plan, once started: for diagnostics and tests.</summary>
    public SignalPlan? Plan => running?.Plan;

    /// <summary>
    /// What validate checks beyond types and ranges: the waveform words, each row's region (one the
    /// service writes) and pattern (well formed, covering at least one of its points).
    /// </summary>
    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(service);
        var problems = new List<ProgramProblem>();
        if (!Waveforms.TryParse(parameters.Text("waveform"), out _))
        {
            problems.Add(new ProgramProblem("parameters.waveform", $"unknown waveform '{parameters.Text("waveform")}'", string.Join(", ", Waveforms.Words)));
        }

        var written = service.Regions.Where(r => r.Access == "write").ToList();
        var rows = parameters.Table(SignalsTable);
        for (var i = 0; i < rows.Length; i++)
        {
            CheckRow(rows[i], $"tables.{SignalsTable}[{i}].", written, problems);
        }

        return problems;
    }

    private static void CheckRow(ProgramParameters row, string path, List<RegionManifest> written, List<ProgramProblem> problems)
    {
        var word = row.Text("waveform");
        if (word.Length > 0 && !Waveforms.TryParse(word, out _))
        {
            problems.Add(new ProgramProblem(path + "waveform", $"unknown waveform '{word}'", string.Join(", ", Waveforms.Words) + ", or empty for the waveform parameter"));
        }

        var region = row.Text("region");
        var regions = region.Length == 0 ? written : written.Where(r => r.Name == region).ToList();
        if (regions.Count == 0)
        {
            var names = written.Count == 0 ? "none: the service writes no region" : string.Join(", ", written.Select(r => r.Name));
            problems.Add(new ProgramProblem(path + "region", region.Length == 0 ? "the service writes no region" : $"region '{region}' is not written by this service", names));
            return;
        }

        var pattern = PointPattern.TryParse(row.Text("points"), out var problem);
        if (pattern is null)
        {
            problems.Add(new ProgramProblem(path + "points", problem, PointPattern.Allowed));
        }
        else if (!regions.Any(r => r.DeclaredPoints().Any(pattern.Matches)))
        {
            var where = region.Length == 0 ? "any region the service writes" : $"region '{region}'";
            problems.Add(new ProgramProblem(path + "points", $"'{pattern.Text}' covers no point of {where}", PointPattern.Allowed));
        }
    }

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fallback = ReadShape(context, context.Parameters, null);
        var rules = ReadRules(context, fallback);
        // Cyclic: refuse a manifest without timing before opening anything.
        ServiceSettings.PeriodSeconds(context);
        var regions = context.Spec.Regions.Where(r => r.Access == RegionAccess.Write).Select(r => r.Name).ToList();
        if (regions.Count is 0 or > RegionsMax)
        {
            throw new ServiceConfigurationException(context.ServiceId, "regions", $"writes {regions.Count} regions; a signal generator writes 1..{RegionsMax}");
        }

        var writers = regions.Select(context.OpenRegionWriter).ToArray();
        var plan = new SignalPlan([.. writers.Select(w => (w.Name, w.Region.PointNames))], rules, fallback);
        var state = new Running(plan, writers, context.Random);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    private static List<SignalRule> ReadRules(IServiceContext context, SignalShape fallback)
    {
        var rules = new List<SignalRule>();
        var rows = context.Parameters.Table(SignalsTable);
        for (var i = 0; i < rows.Length; i++)
        {
            var path = $"tables.{SignalsTable}[{i}].";
            var pattern = PointPattern.TryParse(rows[i].Text("points"), out var problem)
                ?? throw new ServiceConfigurationException(context.ServiceId, path + "points", problem);
            var region = rows[i].Text("region");
            rules.Add(new SignalRule(region.Length == 0 ? null : region, pattern, ReadShape(context, rows[i], (fallback, path))));
        }

        return rules;
    }

    /// <summary>A shape from the parameters, or from a table row whose missing columns take <paramref name="inherit"/>'s values.</summary>
    private static SignalShape ReadShape(IServiceContext context, ProgramParameters values, (SignalShape Shape, string Path)? inherit)
    {
        var word = values.Text("waveform");
        var waveform = inherit?.Shape.Waveform ?? Waveform.Sine;
        if ((inherit is null || word.Length > 0) && !Waveforms.TryParse(word, out waveform))
        {
            throw new ServiceConfigurationException(context.ServiceId, (inherit?.Path ?? "") + "waveform", $"unknown waveform '{word}'; allowed: {string.Join(", ", Waveforms.Words)}");
        }

        if (inherit is not { Shape: var parent })
        {
            return new SignalShape(waveform, values.Number("amplitude"), values.Number("offset"), Nanoseconds(values.Number("periodSeconds")), values.Number("phaseSpreadPeriods"));
        }

        return new SignalShape(
            waveform,
            values.IsGiven("amplitude") ? values.Number("amplitude") : parent.Amplitude,
            values.IsGiven("offset") ? values.Number("offset") : parent.Offset,
            values.IsGiven("periodSeconds") ? Nanoseconds(values.Number("periodSeconds")) : parent.PeriodNs,
            values.IsGiven("phaseSpreadPeriods") ? values.Number("phaseSpreadPeriods") : parent.PhaseSpreadPeriods);
    }

    private static long Nanoseconds(double seconds) => (long)Math.Round(seconds * 1e9);

    private sealed class Running(SignalPlan plan, RegionWriter[] writers, DeterministicRandom random) : ICyclicBody
    {
        private readonly double[] values = new double[plan.PointCount];

        public SignalPlan Plan { get; } = plan;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            Plan.Write(cycle.StartNs, values, random);
            var next = 0;
            foreach (var writer in writers)
            {
                for (var point = 0; point < writer.Region.PointCount; point++)
                {
                    writer.Set(point, values[next++], Quality.Good, cycle.StartNs);
                }

                writer.Publish();
            }
        }
    }
}
