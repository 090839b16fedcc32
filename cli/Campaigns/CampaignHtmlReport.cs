using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Campaigns;

/// <summary>
/// report.html: one self-contained page of a campaign's result, for people. The headline table,
/// the campaign's facts and the failing runs are written as HTML; the plots are drawn in the page
/// by uPlot (vendored in cli/Campaigns/Report, inlined with its licence) from the report's data,
/// embedded as JSON. Nothing is loaded from the network. Time series come from replaying a few
/// runs (each is deterministic) with a recorder on the campaign's <c>plot:</c> operands; the
/// replay's trace digest must be the campaign's run's, or the report says the run did not replay.
/// </summary>
internal static class CampaignHtmlReport
{
    public const string ReportFile = "report.html";

    /// <summary>Failing runs plotted over time (the first ones), and the matrix's first runs plotted beside them.</summary>
    public const int PlottedFailuresMax = 5;

    public const int PlottedSamplesMax = 2;

    /// <summary>Failing runs listed in the page; all are in result.json.</summary>
    public const int FailuresListedMax = 200;

    /// <summary>Points of one run's time series at most: the recording interval grows with the duration.</summary>
    public const int PointsPerRunMax = 2000;

    /// <summary>The recorder samples no more often than this (virtual time).</summary>
    public const long RecordIntervalMinNs = 100_000_000;

    /// <summary>Writes report.html into <paramref name="directory"/>, replaying the plotted runs on <paramref name="jobs"/> threads.</summary>
    public static void Write(
        string directory, CampaignSpec campaign, SystemDefinition system, ProgramCatalog catalog, int runsInMatrix, IReadOnlyList<RunRecord> runs, int jobs, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(runsInMatrix);
        var ordered = runs.OrderBy(r => r.Index).ToList();
        var series = campaign.Plot is { } plot ? Replay(campaign, system, catalog, plot, Plotted(ordered), jobs, cancellation) : [];
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ReportFile), Html(campaign, runsInMatrix, ordered, series), new UTF8Encoding(false));
    }

    /// <summary>The runs plotted over time: the first failing ones, then the matrix's first runs, each once.</summary>
    internal static IReadOnlyList<RunRecord> Plotted(IReadOnlyList<RunRecord> ordered) =>
        [.. ordered.Where(r => !r.Passed).Take(PlottedFailuresMax).Concat(ordered.Where(r => r.Index < PlottedSamplesMax)).DistinctBy(r => r.Index)];

    /// <summary>One run's recorded time series, and its faults' times.</summary>
    private sealed record RunSeries(RunRecord Run, FaultSchedule Schedule, Recorder Recorder);

    private static List<RunSeries> Replay(
        CampaignSpec campaign, SystemDefinition system, ProgramCatalog catalog, CampaignPlot plot, IReadOnlyList<RunRecord> plotted, int jobs, CancellationToken cancellation)
    {
        var cells = campaign.Cells();
        var intervalNs = Math.Max(RecordIntervalMinNs, (campaign.DurationNs + PointsPerRunMax - 1) / PointsPerRunMax);
        var series = new RunSeries?[plotted.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = cancellation };
        Parallel.For(0, plotted.Count, options, i =>
        {
            var run = plotted[i];
            var schedule = cells[run.Cell].Schedule(run.Seed);
            var recorder = new Recorder(plot, intervalNs);
            var (_, session, _, digest) = CampaignRunner.Check(system, catalog, campaign, run.Seed, schedule, cancellation, onSample: recorder.Sample);
            session.Kernel.Shutdown();
            if (digest != run.TraceDigest)
            {
                throw new InvalidOperationException(
                    $"run {run.Index} (seed {run.Seed}) replayed for the report with trace digest {digest}, not the campaign's {run.TraceDigest}: the run is not deterministic, or the system or campaign file changed since the result was written");
            }

            series[i] = new RunSeries(run, schedule, recorder);
        });
        return [.. series.Select(s => s!)];
    }

    /// <summary>Samples the plot's operands every <c>intervalNs</c> of virtual time; only reads the session.</summary>
    private sealed class Recorder(CampaignPlot plot, long intervalNs)
    {
        private ConditionReader? reader;
        private long nextNs;

        public List<double> TimesSeconds { get; } = [];

        public List<double> Setpoint { get; } = [];

        public List<double> ProcessValue { get; } = [];

        public List<double> Output { get; } = [];

        public void Sample(SimulationSession session, long nowNs)
        {
            if (nowNs < nextNs)
            {
                return;
            }

            nextNs = nowNs + intervalNs;
            if (reader is null)
            {
                reader = new ConditionReader(session.Kernel, session.TrueDevices);
                reader.Watch(plot.Setpoint);
                reader.Watch(plot.ProcessValue);
                reader.Watch(plot.Output);
            }

            reader.Refresh();
            TimesSeconds.Add(nowNs / 1e9);
            Setpoint.Add(reader.Value(plot.Setpoint));
            ProcessValue.Add(reader.Value(plot.ProcessValue));
            Output.Add(reader.Value(plot.Output));
        }
    }

    private static string Html(CampaignSpec campaign, int runsInMatrix, List<RunRecord> runs, List<RunSeries> series)
    {
        var totals = CampaignTotals.Of(runs);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<title>Campaign {E(campaign.Name)}</title>\n");
        html.Append("<!-- uPlot, inlined: its licence follows.\n").Append(Resource("report/uPlot.LICENSE").Replace("--", "- -", StringComparison.Ordinal)).Append("-->\n");
        html.Append("<style>\n").Append(Resource("report/uPlot.min.css")).Append('\n').Append(Style).Append("</style>\n");
        html.Append("<script>\n").Append(Resource("report/uPlot.iife.min.js")).Append("\n</script>\n</head>\n<body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>Fault campaign {E(campaign.Name)}</h1>\n");
        if (campaign.Description is { } description)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(description)}</p>\n");
        }

        html.Append("<table class=\"facts\">\n");
        Fact(html, "system", campaign.SystemPath);
        Fact(html, "campaign file", campaign.SourceFile);
        Fact(html, "duration of a run", Format.Duration(campaign.DurationNs) + " of virtual time");
        Fact(html, "seeds", campaign.Seeds.Count.ToString(CultureInfo.InvariantCulture));
        Fact(html, "cells", campaign.Cells().Count.ToString(CultureInfo.InvariantCulture));
        Fact(html, "runs", runs.Count == runsInMatrix ? $"{runs.Count}" : $"{runs.Count} of the {runsInMatrix} runs of the matrix (one shard)");
        Fact(html, "result digest", totals.ResultDigest);
        html.Append("</table>\n<h2>Headline</h2>\n");
        Headline(html, totals);
        Failures(html, runs);
        html.Append("<h2>Plots</h2>\n<noscript><p>The plots are drawn by the page's script; enable JavaScript to see them.</p></noscript>\n");
        if (campaign.Plot is null)
        {
            html.Append("<p class=\"note\">No time-series plots: the campaign file has no <code>plot:</code> (setpoint, pv and output, each a region point or a sim:// device).</p>\n");
        }

        html.Append("<div id=\"series\"></div>\n<div id=\"distributions\"></div>\n");
        html.Append("<script type=\"application/json\" id=\"report-data\">").Append(Data(campaign, runs, series)).Append("</script>\n");
        html.Append("<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Fact(StringBuilder html, string name, string value) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(name)}</th><td>{E(value)}</td></tr>\n");

    /// <summary>The headline table, cell for cell the Markdown that <see cref="CampaignTotals.Table"/> prints.</summary>
    private static void Headline(StringBuilder html, CampaignTotals totals)
    {
        var rows = totals.Table().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (rows.Length != 3)
        {
            throw new InvalidOperationException($"the headline table has {rows.Length} lines, expected a header, a rule and one row");
        }

        static string[] Cells(string row) => [.. row.Trim().Trim('|').Split('|').Select(c => c.Trim())];
        html.Append("<table class=\"headline\" id=\"headline\">\n<tr>");
        foreach (var header in Cells(rows[0]))
        {
            html.Append(CultureInfo.InvariantCulture, $"<th>{E(header)}</th>");
        }

        html.Append("</tr>\n<tr>");
        foreach (var value in Cells(rows[2]))
        {
            html.Append(CultureInfo.InvariantCulture, $"<td>{E(value)}</td>");
        }

        html.Append("</tr>\n</table>\n");
    }

    private static void Failures(StringBuilder html, List<RunRecord> runs)
    {
        var failing = runs.Where(r => !r.Passed).ToList();
        html.Append(CultureInfo.InvariantCulture, $"<h2>Failing runs: {failing.Count}</h2>\n");
        if (failing.Count == 0)
        {
            html.Append("<p>Every run kept every invariant.</p>\n");
            return;
        }

        if (failing.Count > FailuresListedMax)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The first {FailuresListedMax}; all are in result.json.</p>\n");
        }

        html.Append("<table class=\"failures\">\n<tr><th>run</th><th>cell</th><th>seed</th><th>invariant</th><th>at</th><th>what was seen</th><th>replay</th></tr>\n");
        foreach (var run in failing.Take(FailuresListedMax))
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{run.Index}</td><td>{E(run.CellName)}</td><td>{run.Seed}</td><td>{E(run.Invariant ?? "")}</td><td>{E(Format.Seconds(run.ViolationAtNs))}</td><td>{E(run.Violation ?? "")}</td><td><code>{E(run.Replay ?? "")}</code></td></tr>\n");
        }

        html.Append("</table>\n");
    }

    /// <summary>The page's data. Utf8JsonWriter's default encoder escapes &lt; and &gt;, so no text in it can close its script element.</summary>
    private static string Data(CampaignSpec campaign, List<RunRecord> runs, List<RunSeries> series)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("campaign", campaign.Name);
            if (campaign.Plot is { } plot)
            {
                json.WriteStartObject("plot");
                json.WriteString("setpoint", plot.Setpoint.Text);
                json.WriteString("pv", plot.ProcessValue.Text);
                json.WriteString("output", plot.Output.Text);
                json.WriteEndObject();
            }

            json.WriteStartArray("series");
            foreach (var run in series)
            {
                WriteSeries(json, run);
            }

            json.WriteEndArray();
            json.WriteStartObject("runs");
            Numbers(json, "index", runs.Select(r => (double)r.Index));
            Numbers(json, "faultsInjected", runs.Select(r => (double)r.FaultsInjected));
            Numbers(json, "recoveryMs", runs.Where(r => r.RecoveryNs >= 0).Select(r => r.RecoveryNs / 1e6).Order());
            Numbers(json, "failedIndex", runs.Where(r => !r.Passed).Select(r => (double)r.Index));
            Numbers(json, "violationAtSeconds", runs.Where(r => !r.Passed).Select(r => r.ViolationAtNs / 1e9));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteSeries(Utf8JsonWriter json, RunSeries run)
    {
        json.WriteStartObject();
        json.WriteNumber("index", run.Run.Index);
        json.WriteString("cellName", run.Run.CellName);
        json.WriteNumber("seed", run.Run.Seed);
        json.WriteBoolean("passed", run.Run.Passed);
        if (!run.Run.Passed)
        {
            json.WriteString("invariant", run.Run.Invariant);
            json.WriteNumber("violationAtSeconds", run.Run.ViolationAtNs / 1e9);
        }

        json.WriteStartArray("faults");
        foreach (var injection in run.Schedule.Injections)
        {
            json.WriteStartObject();
            json.WriteNumber("atSeconds", injection.AtNs / 1e9);
            json.WriteString("text", injection.ToString());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        Numbers(json, "t", run.Recorder.TimesSeconds);
        Numbers(json, "setpoint", run.Recorder.Setpoint);
        Numbers(json, "pv", run.Recorder.ProcessValue);
        Numbers(json, "output", run.Recorder.Output);
        json.WriteEndObject();
    }

    /// <summary>An array of numbers; a value that is not finite (a point that holds none yet) is null, a gap in the plot.</summary>
    private static void Numbers(Utf8JsonWriter json, string name, IEnumerable<double> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            if (double.IsFinite(value))
            {
                json.WriteNumberValue(Math.Round(value, 6));
            }
            else
            {
                json.WriteNullValue();
            }
        }

        json.WriteEndArray();
    }

    private static string Resource(string name)
    {
        using var stream = typeof(CampaignHtmlReport).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the report's resource '{name}' is not in the neokernel assembly (cli/Neokernel.Cli.csproj embeds cli/Campaigns/Report)");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        if (text.Contains("</script", StringComparison.OrdinalIgnoreCase) || text.Contains("</style", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"the report's resource '{name}' closes its own element and cannot be inlined");
        }

        return text;
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        table.headline td { text-align: right; font-variant-numeric: tabular-nums; }
        table.facts th { background: #f4f4f4; }
        code { font-size: 0.85em; word-break: break-all; }
        .note { color: #555; }
        .plot { margin: 1em 0 2em; }

        """;

    /// <summary>
    /// The page's script: reads the embedded data, draws each plot with uPlot, and then leaves
    /// <c>&lt;div id="rendered" data-plots="N" data-points="M"&gt;</c> (or <c>data-error</c>) for the tests.
    /// </summary>
    private const string Script = """
        (function () {
          var marker = document.createElement('div');
          marker.id = 'rendered';
          var plots = 0, points = 0;
          var width = Math.max(480, Math.min(1100, (window.innerWidth || 1000) - 60));
          function count(data) {
            for (var s = 1; s < data.length; s++) {
              for (var i = 0; i < data[s].length; i++) { if (data[s][i] !== null) points++; }
            }
          }
          function plot(into, title, note, options, data) {
            var box = document.createElement('div');
            box.className = 'plot';
            into.appendChild(box);
            options.title = title;
            options.width = width;
            options.height = 280;
            new uPlot(options, data, box);
            if (note) {
              var p = document.createElement('p');
              p.className = 'note';
              p.textContent = note;
              box.appendChild(p);
            }
            plots++;
            count(data);
          }
          function markers(times) {
            return [function (u) {
              var ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = '#d62728';
              ctx.lineWidth = 1;
              ctx.setLineDash([5, 4]);
              for (var i = 0; i < times.length; i++) {
                var x = u.valToPos(times[i], 'x', true);
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
              }
              ctx.restore();
            }];
          }
          var dots = { show: true, size: 5 };
          function none() { return null; }
          try {
            var data = JSON.parse(document.getElementById('report-data').textContent);
            var series = document.getElementById('series');
            data.series.forEach(function (run) {
              var times = run.faults.map(function (f) { return f.atSeconds; });
              var title = 'Run ' + run.index + ' (' + run.cellName + ', seed ' + run.seed + ')' +
                (run.passed ? ': passed' : ': failed ' + run.invariant + ' at ' + run.violationAtSeconds + ' s');
              plot(series, title,
                'Red dashed lines: fault injections (' + run.faults.map(function (f) { return f.text; }).join(', ') + '). Sampled from a replay of the run.',
                {
                  scales: { x: { time: false } },
                  series: [
                    { label: 'virtual time (s)' },
                    { label: 'setpoint ' + data.plot.setpoint, stroke: '#1f77b4', scale: 'pv' },
                    { label: 'process value ' + data.plot.pv, stroke: '#ff7f0e', scale: 'pv' },
                    { label: 'output ' + data.plot.output, stroke: '#2ca02c', scale: 'out' }
                  ],
                  axes: [
                    { label: 'virtual time (s)' },
                    { scale: 'pv', label: 'setpoint, process value' },
                    { scale: 'out', side: 1, label: 'output', grid: { show: false } }
                  ],
                  hooks: { draw: markers(times) }
                },
                [run.t, run.setpoint, run.pv, run.output]);
            });
            var distributions = document.getElementById('distributions');
            var recovery = data.runs.recoveryMs;
            if (recovery.length > 0) {
              var share = recovery.map(function (_, i) { return 100 * (i + 1) / recovery.length; });
              plot(distributions, 'Recovery time over the runs that recovered, sorted',
                'Each point is a run: y is its recovery time (last fault\'s end to its liveness invariants holding), x the share of runs that recovered within y.',
                {
                  scales: { x: { time: false } },
                  series: [{ label: 'runs (%)' }, { label: 'recovery (ms)', stroke: '#9467bd', points: dots }],
                  axes: [{ label: 'runs recovered within y (%)' }, { label: 'recovery time (ms)' }]
                },
                [share, recovery]);
            }
            plot(distributions, 'Faults injected per run',
              'A count per run, not a latency: how many injections each run of the matrix had.',
              {
                scales: { x: { time: false } },
                series: [{ label: 'run' }, { label: 'faults injected', stroke: '#8c564b', paths: none, points: dots }],
                axes: [{ label: 'run' }, { label: 'faults injected' }]
              },
              [data.runs.index, data.runs.faultsInjected]);
            if (data.runs.failedIndex.length > 0) {
              plot(distributions, 'First violation time of each failing run',
                'When (virtual time from the run\'s start) each failing run first broke an invariant.',
                {
                  scales: { x: { time: false } },
                  series: [{ label: 'run' }, { label: 'violation at (s)', stroke: '#d62728', paths: none, points: dots }],
                  axes: [{ label: 'run' }, { label: 'first violation (s)' }]
                },
                [data.runs.failedIndex, data.runs.violationAtSeconds]);
            }
          } catch (e) {
            marker.setAttribute('data-error', String(e && e.message || e));
          }
          marker.setAttribute('data-plots', String(plots));
          marker.setAttribute('data-points', String(points));
          document.body.appendChild(marker);
        })();

        """;
}
