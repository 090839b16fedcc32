using Neokernel.Kernel.Manifests;

namespace Neokernel.Cli.Commands;

/// <summary><c>neokernel validate</c>: system or service manifests, every error with file, line and column.</summary>
internal static class ValidateCommand
{
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var line = CommandLine.Parse(args);
        line.RejectUnknown();
        if (line.Positional.Count == 0)
        {
            throw new UsageException("validate takes one or more manifest or campaign files, e.g. neokernel validate manifests/systems/tank-demo.yaml");
        }

        var catalog = Composition.Catalog();
        var source = new FileManifestSource();
        var diagnostics = new List<ManifestDiagnostic>();
        foreach (var path in line.Positional)
        {
            // Each file is loaded as what its parsed document is: a campaign, a system or one service.
            if (Campaigns.CampaignReader.IsCampaign(source, path))
            {
                diagnostics.AddRange(Campaigns.CampaignReader.Load(path, catalog).Diagnostics);
                continue;
            }

            diagnostics.AddRange(ManifestLoader.Load(path, source, catalog));
        }

        if (diagnostics.Count > 0)
        {
            error.WriteLine(ManifestReport.Format(diagnostics).TrimEnd());
            return 1;
        }

        output.WriteLine($"{line.Positional.Count} manifest file(s) valid");
        return 0;
    }
}
