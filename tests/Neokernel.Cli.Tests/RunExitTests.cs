namespace Neokernel.Cli.Tests;

/// <summary>
/// How run and sim end: output files that cannot be written are refused before the run starts
/// (not with a stack trace at its end), and run gives the exit codes of sim (a service failed for
/// good is 3; with --fail-on-fault a fault stops the run with 1).
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class RunExitTests
{
    [Theory]
    [InlineData("sim", "--trace-jsonl")]
    [InlineData("sim", "--trace-chrome")]
    [InlineData("run", "--trace-jsonl")]
    [InlineData("run", "--trace-chrome")]
    [InlineData("run", "--quality-log")]
    public void Output_InAMissingDirectory_IsRefusedBeforeTheRun(string command, string option)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"neokernel-missing-{Guid.NewGuid():N}", "out.json");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        string[] runOnly = command == "run" ? ["--plain", "--in-process"] : [];

        var result = CliResult.Run([command, Repository.TankDemo, "--duration", "30s", .. runOnly, option, missing]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"neokernel: {option} {missing}: its directory", result.Error, StringComparison.Ordinal);
        Assert.Contains("does not exist", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("trace digest", result.Output, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"refused after {watch.Elapsed}, not before the run");
    }

    [Fact]
    public void Output_ThatIsADirectory_IsRefusedBeforeTheRun()
    {
        var directory = Directory.CreateTempSubdirectory("neokernel-out-").FullName;

        var result = CliResult.Run("run", Repository.TankDemo, "--duration", "30s", "--plain", "--in-process", "--trace-jsonl", directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"neokernel: --trace-jsonl {directory}: is a directory", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("running ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ServiceFailsForGood_ExitsThree_AndWithFailOnFault_StopsAtTheFirstFaultWithOne()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "level-sensor.yaml"), "rangeMinMeters: 0.0", "rangeMinMeters: 3.0"));

        var failed = CliResult.Run("run", system, "--duration", "4s", "--plain", "--in-process");
        var stopped = CliResult.Run("run", system, "--duration", "30s", "--plain", "--in-process", "--fail-on-fault");

        Assert.True(failed.ExitCode == 3, failed.Error + failed.Output);
        Assert.Contains("neokernel: failed for good: level-sensor (exit code 3)", failed.Error, StringComparison.Ordinal);
        Assert.True(stopped.ExitCode == 1, stopped.Error + stopped.Output);
        Assert.Contains("service 'level-sensor' faulted", stopped.Error, StringComparison.Ordinal);
        Assert.Contains("--fail-on-fault", stopped.Error, StringComparison.Ordinal);
        Assert.Matches(@"stopped after [0-9]\.[0-9]+ s", stopped.Output);
    }
}
