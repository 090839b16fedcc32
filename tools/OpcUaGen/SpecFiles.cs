using System.Text.RegularExpressions;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>A problem in the input files or the command line, reported as one line naming the file and what is wrong.</summary>
internal sealed class SpecException(string message) : Exception(message);

/// <summary>
/// The folder of normative files (../shared/opcua-spec): where each file is, and the UA-Nodeset
/// commit its README names, which every generated file's header repeats so that a reader knows
/// exactly which edition of the specification the constants come from.
/// </summary>
internal sealed partial class SpecFiles
{
    public const string NodeIdsFile = "NodeIds.csv";
    public const string StatusCodesFile = "StatusCode.csv";
    public const string AttributeIdsFile = "AttributeIds.csv";
    public const string NodeSetFile = "Opc.Ua.NodeSet2.xml";
    private const string ReadmeFile = "README.md";

    private readonly string directory;

    private SpecFiles(string directory, string commit)
    {
        this.directory = directory;
        Commit = commit;
    }

    /// <summary>The OPCFoundation/UA-Nodeset commit the files were taken from.</summary>
    public string Commit { get; }

    public static SpecFiles Open(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new SpecException(
                $"the spec folder '{directory}' does not exist; pass the folder holding NodeIds.csv, StatusCode.csv, " +
                "AttributeIds.csv and Opc.Ua.NodeSet2.xml (the default is ../shared/opcua-spec)");
        }

        foreach (var file in new[] { NodeIdsFile, StatusCodesFile, AttributeIdsFile, NodeSetFile, ReadmeFile })
        {
            if (!File.Exists(Path.Combine(directory, file)))
            {
                throw new SpecException($"{Path.Combine(directory, file)} is missing; the spec folder must hold the files of UA-Nodeset Schema/");
            }
        }

        var readme = File.ReadAllText(Path.Combine(directory, ReadmeFile));
        var match = CommitPattern().Match(readme);
        if (!match.Success)
        {
            throw new SpecException(
                $"{Path.Combine(directory, ReadmeFile)} names no UA-Nodeset commit ('commit <40 hex digits>'); " +
                "the generated headers must say which commit the files come from");
        }

        return new SpecFiles(directory, match.Groups[1].Value);
    }

    public string PathOf(string file) => Path.Combine(directory, file);

    [GeneratedRegex(@"commit ([0-9a-f]{40})")]
    private static partial Regex CommitPattern();
}
