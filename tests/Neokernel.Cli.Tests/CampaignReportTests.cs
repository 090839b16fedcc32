using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Neokernel.Cli.Tests;

/// <summary>
/// report.html of a campaign: its headline and failing runs, that it loads nothing from the network,
/// and, rendered by headless Chromium (scripts/install-deps.sh installs it), that its plots have data.
/// </summary>
public sealed partial class CampaignReportTests
{
    private const string Plot = """
        plot:
          setpoint: tank.outputs.setpoint
          pv: tank.inputs.level
          output: tank.outputs.pump

        """;

    private static readonly string[] ChromiumPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private static string Small => Path.Combine(Repository.Root, "tests", "Neokernel.Cli.Tests", "Campaigns", "small.yaml");

    private static string Scratch() => Directory.CreateTempSubdirectory("neokernel-report-").FullName;

    private static string Report(string directory) => File.ReadAllText(Path.Combine(directory, "report.html"));

    [Fact]
    public void TheReport_HasTheHeadline_EmbedsUPlot_AndLoadsNothingFromTheNetwork()
    {
        var directory = Scratch();
        var run = CliResult.Run("campaign", "run", Small, "--out", directory);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"report written to {Path.Combine(directory, "report.html")}", run.Output, StringComparison.Ordinal);
        var html = Report(directory);
        var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "result.json"))).RootElement;

        // The headline row is the table the command prints, cell for cell.
        Assert.Contains("| 9 | 9 | 9 | 9 of 9 | 9 of 9 | - |", run.Output, StringComparison.Ordinal);
        Assert.Contains("<td>9</td><td>9</td><td>9</td><td>9 of 9</td><td>9 of 9</td><td>-</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>faults injected</th><th>runs</th><th>runs passed</th>", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Fault campaign small</h1>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>{result.GetProperty("resultDigest").GetString()}</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>seeds</th><td>3</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>cells</th><td>3</td>", html, StringComparison.Ordinal);
        Assert.Contains("Failing runs: 0", html, StringComparison.Ordinal);

        // uPlot is inlined (its code, style and licence), and nothing is fetched.
        Assert.Contains("var uPlot=function()", html, StringComparison.Ordinal);
        Assert.Contains(".u-legend", html, StringComparison.Ordinal);
        Assert.Contains("MIT License", html, StringComparison.Ordinal);
        Assert.Contains("<script type=\"application/json\" id=\"report-data\">", html, StringComparison.Ordinal);
        Assert.Empty(Loads().Matches(html));
        Assert.DoesNotMatch(@"<script[^>]*\ssrc\s*=", html);
        Assert.DoesNotMatch(@"<link[^>]*\shref\s*=", html);
    }

    [Fact]
    public void TheReport_RendersInHeadlessChromium_WithTimeSeriesAndDistributions()
    {
        var directory = Scratch();
        Assert.Equal(0, CliResult.Run("campaign", "run", Small, "--out", directory).ExitCode);
        var (plots, points, canvases) = Render(directory);

        // Runs 0 and 1 over time (no run failed), the recovery times and the faults per run.
        Assert.Equal(4, plots);
        Assert.Equal(4, canvases);
        Assert.True(points > 2 * 3 * 1000, $"{points} points plotted");
        var html = Report(directory);
        Assert.Contains("\"faults\":[{\"atSeconds\":", html, StringComparison.Ordinal);
        Assert.DoesNotContain("No time-series plots", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailingCampaign_ListsItsRunsWithTheirReplays_AndPlotsThem()
    {
        var campaign = CampaignTests.WriteCampaign(CampaignTests.SensorLossCampaign + "\n" + Plot, CampaignTests.SensorLossSystem(broken: true));
        var directory = Scratch();
        var run = CliResult.Run("campaign", "run", campaign, "--out", directory);
        Assert.Equal(1, run.ExitCode);
        var html = Report(directory);
        Assert.Contains("Failing runs: 2", html, StringComparison.Ordinal);
        var replay = Regex.Match(run.Output, "    replay: (.*)").Groups[1].Value.TrimEnd();
        Assert.StartsWith("neokernel sim ", replay, StringComparison.Ordinal);
        Assert.Contains($"<code>{System.Net.WebUtility.HtmlEncode(replay)}</code>", html, StringComparison.Ordinal);
        Assert.Contains("<td>pump stops on sensor loss</td>", html, StringComparison.Ordinal);

        // The two failing runs over time, the faults per run and the violation times (no run recovers: no liveness invariant).
        var (plots, points, canvases) = Render(directory);
        Assert.Equal(4, plots);
        Assert.Equal(4, canvases);
        Assert.True(points > 0, $"{points} points plotted");
    }

    [Fact]
    public void WithoutPlot_TheReportSaysSo_AndDrawsOnlyTheDistributions()
    {
        var text = File.ReadAllText(Small);
        var campaign = CampaignTests.WriteCampaign(text[..text.IndexOf("plot:", StringComparison.Ordinal)].Replace("../../../manifests/systems/tank-demo.yaml", "SYSTEM", StringComparison.Ordinal));
        var directory = Scratch();
        Assert.Equal(0, CliResult.Run("campaign", "run", campaign, "--out", directory).ExitCode);
        Assert.Contains("No time-series plots: the campaign file has no <code>plot:</code>", Report(directory), StringComparison.Ordinal);
        var (plots, points, _) = Render(directory);
        Assert.Equal(2, plots);
        Assert.Equal(9 + 9, points);
    }

    [Fact]
    public void Merge_WritesTheReportToo()
    {
        var shards = Enumerable.Range(0, 3).Select(i =>
        {
            var directory = Scratch();
            Assert.Equal(0, CliResult.Run("campaign", "run", Small, "--shard", $"{i}/3", "--out", directory).ExitCode);
            return directory;
        }).ToList();
        var merged = Scratch();
        Assert.Equal(0, CliResult.Run(["campaign", "merge", .. shards, "--out", merged]).ExitCode);
        Assert.Contains("<td>9</td><td>9</td><td>9</td><td>9 of 9</td>", Report(merged), StringComparison.Ordinal);
        Assert.Contains("<th>runs</th><td>3 of the 9 runs of the matrix (one shard)</td>", Report(shards[0]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plot:\n  setpoint: tank.outputs.nothing\n  pv: tank.inputs.level\n  output: tank.outputs.pump\n", ":12:13: error: plot.setpoint: 'tank.outputs.nothing': region 'tank.outputs' has no point 'nothing'")]
    [InlineData("plot:\n  setpoint: 1.2\n  pv: tank.inputs.level\n  output: tank.outputs.pump\n", ":12:13: error: plot.setpoint: '1.2' is a number")]
    [InlineData("plot:\n  setpoint: tank.outputs.setpoint\n  pv: sim://tank/depth\n  output: tank.outputs.pump\n", ":13:7: error: plot.pv: 'sim://tank/depth': no service has device 'sim://tank/depth'")]
    [InlineData("plot:\n  setpoint: tank.outputs.setpoint\n  pv: tank.inputs.level\n", ":12:3: error: plot.output: required field is missing")]
    [InlineData("plot:\n  setpoint: tank.outputs.setpoint\n  pv: tank.inputs.level\n  output: tank.outputs.pump\n  colour: red\n", ":15:3: error: plot.colour: unknown field")]
    [InlineData("plot: tank.inputs.level\n", ":11:7: error: plot: must be a mapping")]
    public void ABadPlot_GetsAnErrorNamingFileLineAndField(string plot, string expected)
    {
        var campaign = CampaignTests.WriteCampaign("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - kernel: sound\n" + plot);
        var validate = CliResult.Run("validate", campaign);
        Assert.Equal(1, validate.ExitCode);
        Assert.Contains(campaign + expected, validate.Error, StringComparison.Ordinal);
    }

    /// <summary>Renders report.html in headless Chromium; the marker the page's script leaves, and the canvases uPlot drew.</summary>
    private static (int Plots, int Points, int Canvases) Render(string directory)
    {
        var chromium = ChromiumPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("chromium is not installed: scripts/install-deps.sh installs it (apt-get install chromium)");
        var profile = Directory.CreateTempSubdirectory("neokernel-chromium-").FullName;
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={profile}", "--window-size=1200,900", "--virtual-time-budget=5000", "--dump-dom", new Uri(Path.Combine(directory, "report.html")).AbsoluteUri])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {chromium}");
        var error = process.StandardError.ReadToEndAsync();
        var dom = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not render {directory}/report.html in 120 s");
        }

        var marker = Marker().Match(dom.Result);
        Assert.True(marker.Success, $"no rendered marker in chromium's DOM (exit {process.ExitCode}): {error.Result[..Math.Min(2000, error.Result.Length)]}");
        Assert.False(marker.Value.Contains("data-error", StringComparison.Ordinal), marker.Value);
        var plots = int.Parse(Attribute(marker.Value, "data-plots"), CultureInfo.InvariantCulture);
        var points = int.Parse(Attribute(marker.Value, "data-points"), CultureInfo.InvariantCulture);
        var canvases = Regex.Count(dom.Result, "<canvas");
        Directory.Delete(profile, recursive: true);
        return (plots, points, canvases);
    }

    private static string Attribute(string element, string name) =>
        Regex.Match(element, $"{name}=\"([0-9]+)\"") is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException($"{element} has no {name}");

    [GeneratedRegex("<div id=\"rendered\"[^>]*>")]
    private static partial Regex Marker();

    /// <summary>What would make the page load from the network: a src or href to a URL, a CSS url() or @import of one, a fetch.</summary>
    [GeneratedRegex(@"(src|href)\s*=\s*[""']?\s*(https?:)?//|url\(\s*[""']?\s*(https?:)?//|@import|fetch\(|XMLHttpRequest", RegexOptions.IgnoreCase)]
    private static partial Regex Loads();
}
