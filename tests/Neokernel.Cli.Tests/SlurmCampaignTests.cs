using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json;

namespace Neokernel.Cli.Tests;

/// <summary>
/// A campaign spread over a Slurm job array on a real one-node cluster of this host (munged,
/// slurmctld, slurmd: <see cref="SlurmCluster"/>): each array task runs one shard with the
/// neokernel binary, and the merged shards must equal one unsharded run.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class SlurmCampaignTests
{
    /// <summary>Array tasks, hence shards: small.yaml's nine runs split three by three.</summary>
    private const int ShardCount = 3;

    /// <summary>How long <c>sbatch --wait</c> may take for the whole array (each shard takes seconds).</summary>
    private static readonly TimeSpan ArrayTimeout = TimeSpan.FromMinutes(5);

    private static string Small => Path.Combine(Repository.Root, "tests", "Neokernel.Cli.Tests", "Campaigns", "small.yaml");

    [Fact]
    public void JobArray_ShardsMerged_EqualUnsharded()
    {
        using var cluster = SlurmCluster.Start();
        var results = Path.Combine(cluster.Directory, "results");
        Directory.CreateDirectory(results);
        var script = WriteShardScript(cluster.Directory, results);

        var submit = cluster.Run(
            ArrayTimeout,
            "sbatch",
            $"--array=0-{ShardCount - 1}",
            "--wait",
            "--time=10",
            "--job-name=neokernel-campaign",
            $"--output={Path.Combine(results, "slurm-%a.out")}",
            script);
        Assert.True(submit.ExitCode == 0, $"sbatch --array --wait exited with {submit.ExitCode}: {submit.Output}{submit.Error}\n{TaskOutputs(results)}\n{cluster.Logs()}");

        var shards = Enumerable.Range(0, ShardCount).Select(i => Path.Combine(results, $"shard-{i}")).ToList();
        foreach (var (shard, index) in shards.Select((s, i) => (s, i)))
        {
            Assert.True(File.Exists(Path.Combine(shard, "result.json")), $"array task {index} wrote no {shard}/result.json\n{TaskOutputs(results)}");
            var output = File.ReadAllText(Path.Combine(results, $"slurm-{index}.out"));
            Assert.Contains($"shard {index}/{ShardCount}: 3 runs", output, StringComparison.Ordinal);
        }

        var merged = Path.Combine(results, "merged");
        var merge = CliResult.Run(["campaign", "merge", .. shards, "--out", merged]);
        Assert.True(merge.ExitCode == 0, $"campaign merge exited with {merge.ExitCode}: {merge.Error}");

        var whole = Path.Combine(results, "whole");
        var unsharded = CliResult.Run("campaign", "run", Small, "--out", whole);
        Assert.Equal(0, unsharded.ExitCode);

        Assert.Equal(DigestLine(unsharded), DigestLine(merge));
        Assert.Equal(ResultDigest(whole), ResultDigest(merged));
        Assert.Equal("9", Result(merged).GetProperty("runs").ToString());
    }

    /// <summary>The array task's script: one shard, numbered by Slurm, with the neokernel binary the tests built.</summary>
    private static string WriteShardScript(string directory, string results)
    {
        var neokernel = Path.Combine(AppContext.BaseDirectory, "neokernel");
        Assert.True(File.Exists(neokernel), $"{neokernel} is missing: the test project builds the CLI's apphost beside the tests");
        var script = Path.Combine(directory, "shard.sh");
        File.WriteAllText(script, $"""
            #!/bin/sh
            set -eu
            exec '{neokernel}' campaign run '{Small}' --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --out '{results}/shard-'"$SLURM_ARRAY_TASK_ID"

            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    /// <summary>Each array task's stdout and stderr, for assertion messages.</summary>
    private static string TaskOutputs(string results) =>
        string.Join('\n', Directory.GetFiles(results, "slurm-*.out").Order(StringComparer.Ordinal)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"== {f}\n{File.ReadAllText(f)}")));

    private static string DigestLine(CliResult result) =>
        result.Output.Split('\n').Single(l => l.StartsWith("result digest: ", StringComparison.Ordinal)).TrimEnd();

    private static JsonElement Result(string directory) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "result.json"))).RootElement;

    private static string ResultDigest(string directory) => Result(directory).GetProperty("resultDigest").ToString();
}
