namespace Neokernel.Cli.Tests;

/// <summary>The repository the tests run from, and scratch copies of its manifests.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string TankDemo => Path.Combine(Root, "manifests", "systems", "tank-demo.yaml");

    public static string HeatedTankCascade => Path.Combine(Root, "manifests", "systems", "heated-tank-cascade.yaml");

    /// <summary>A scratch copy of manifests/ where a test may change files; returns the copy's tank-demo system path.</summary>
    public static string CopyManifests(Action<string>? change = null)
    {
        var target = Path.Combine(Path.GetTempPath(), "neokernel-tests", Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "manifests"), "*.yaml", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Path.Combine(Root, "manifests"), file);
            var destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        change?.Invoke(target);
        return Path.Combine(target, "systems", "tank-demo.yaml");
    }

    public static void Replace(string file, string oldText, string newText)
    {
        var text = File.ReadAllText(file);
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        File.WriteAllText(file, text.Replace(oldText, newText, StringComparison.Ordinal));
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Neokernel.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Neokernel.slnx above {AppContext.BaseDirectory}");
    }
}

/// <summary>Runs the neokernel command in-process and keeps what it printed.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public static CliResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = Cli.Run(args, output, error, CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    public string Digest()
    {
        var line = Output.Split('\n').Single(l => l.StartsWith("trace digest: ", StringComparison.Ordinal));
        return line["trace digest: ".Length..].Trim();
    }
}
