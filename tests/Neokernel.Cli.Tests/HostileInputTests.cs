using System.Diagnostics;
using System.Text;

namespace Neokernel.Cli.Tests;

/// <summary>
/// Manifest paths and texts an attacker (or an accident) could hand the loader: each one ends
/// `validate` with exit code 1 and a message naming the file and what is wrong, promptly: never a
/// crash, a hang or an unhandled exception.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);
    private readonly string directory = Directory.CreateTempSubdirectory("neokernel-hostile-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Validate_NestedHundredThousandDeep_IsRefusedAtItsDepth()
    {
        var path = Write("deep.yaml", "id: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        var result = Validate(path);
        Assert.Contains($"{path}:1:", result.Error, StringComparison.Ordinal);
        Assert.Contains("nested more than 64 deep", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BillionLaughs_IsRefusedBeforeItExpands()
    {
        var text = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++)
        {
            text.Append($"a{i}: &a{i} [").AppendJoin(", ", Enumerable.Repeat($"*a{i - 1}", 10)).Append("]\n");
        }

        var result = Validate(Write("laughs.yaml", text.ToString()));
        Assert.Contains("more than 100000 nodes once its aliases are expanded", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Fifo_IsRefusedWithoutWaitingForAWriter()
    {
        var path = Path.Combine(directory, "fifo.yaml");
        using (var mkfifo = Process.Start("mkfifo", path))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        Assert.Contains("is a FIFO (named pipe); give the path of a regular file", Validate(path).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void CampaignRun_OnAFifoOrADevice_IsRefusedWithoutReadingIt()
    {
        var path = Path.Combine(directory, "campaign-fifo.yaml");
        using (var mkfifo = Process.Start("mkfifo", path))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var fifo = CliResult.Run("campaign", "run", path);
        Assert.Equal(1, fifo.ExitCode);
        Assert.Contains("cannot read the campaign file", fifo.Error, StringComparison.Ordinal);
        Assert.Contains("is a FIFO (named pipe)", fifo.Error, StringComparison.Ordinal);
        Assert.Contains("is a character device", CliResult.Run("campaign", "run", "/dev/zero").Error, StringComparison.Ordinal);
        Assert.Contains("no such file", CliResult.Run("campaign", "run", Path.Combine(directory, "none.yaml")).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CharacterDevice_IsRefusedWithoutReadingIt() =>
        Assert.Contains("/dev/zero: is a character device", Validate("/dev/zero").Error, StringComparison.Ordinal);

    [Fact]
    public void Validate_Directory_IsRefused() =>
        Assert.Contains($"{directory}: is a directory", Validate(directory).Error, StringComparison.Ordinal);

    [Fact]
    public void Validate_SymbolicLinkLoop_IsRefused()
    {
        var a = Path.Combine(directory, "a.yaml");
        var b = Path.Combine(directory, "b.yaml");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        Assert.Contains("a symbolic link loop", Validate(a).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DanglingSymbolicLink_NamesItsTarget()
    {
        var link = Path.Combine(directory, "dangling.yaml");
        File.CreateSymbolicLink(link, Path.Combine(directory, "gone.yaml"));
        Assert.Contains("a dangling symbolic link (to ", Validate(link).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TooLargeFile_IsRefusedByItsSize()
    {
        var path = Write("large.yaml", "id: x\n# " + new string('x', (1 << 20) + 10) + "\n");
        Assert.Contains("a manifest is at most 1048576 bytes", Validate(path).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SystemListingAFifo_ReportsItWhereTheSystemRefersToIt()
    {
        var system = Repository.CopyManifests();
        var operatorFile = Path.Combine(Path.GetDirectoryName(system)!, "..", "services", "operator.yaml");
        File.Delete(operatorFile);
        using (var mkfifo = Process.Start("mkfifo", operatorFile))
        {
            mkfifo.WaitForExit();
        }

        var result = Validate(system);
        Assert.Contains("services[", result.Error, StringComparison.Ordinal);
        Assert.Contains("is a FIFO", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FlowStyleSystemFile_IsReadAsASystem()
    {
        // Nothing at the start of a line says "system:", yet the document is a system.
        var path = Write("flow.yaml", "# a system written in flow style\n{ system: flow, services: [ { manifest: missing.yaml } ] }\n");
        var result = Validate(path);
        Assert.Contains("services[0].manifest", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown field", result.Error, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs validate on its own thread, so a hang fails the test instead of stopping the suite.</summary>
    private static CliResult Validate(string path)
    {
        var run = Task.Run(() => CliResult.Run("validate", path));
        Assert.True(run.Wait(Prompt), $"validate {path} did not end within {Prompt.TotalSeconds} s");
        Assert.True(run.Result.ExitCode == 1, $"exit {run.Result.ExitCode}: {run.Result.Output}{run.Result.Error}");
        return run.Result;
    }
}
