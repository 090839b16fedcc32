using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Tests.Manifests;

/// <summary>Program catalogs and paths the manifest tests share.</summary>
internal static class TestPrograms
{
    public static string ManifestsDirectory => Path.Combine(AppContext.BaseDirectory, "Manifests");

    public static string TankSystemPath => Path.Combine(ManifestsDirectory, "Examples", "tank", "system.yaml");

    /// <summary>The programs the examples and the corpus name, with their parameters.</summary>
    public static ProgramCatalog Catalog() => new ProgramCatalog()
        .Add(Program("test.noop"))
        .Add(Program("test.tunable", "gain", "offset"))
        .Add(Program("hil.tank", "areaM2", "outflowCoefficient"))
        .Add(Program("hil.level-sensor", "noise"))
        .Add(Program("hil.pump"))
        .Add(Program("controllers.pid", "kp", "ki", "kd", "setpoint"))
        .Add(Program("gateway.http", "listen"))
        .Add(new ProgramDescriptor("test.typed", "test program with typed parameters", TypedParameters, () => new NoService()))
        .Add(new ProgramDescriptor("test.tabled", "test program with a table", [ParameterDeclaration.Text("label", "a label")], () => new NoService())
        {
            Tables = [PollTable],
            Check = CheckPolls,
        });

    /// <summary>A table of register ranges mapped to points, with a required column, a ranged one and a default.</summary>
    public static TableDeclaration PollTable { get; } = new(
        "polls",
        "register ranges read into points",
        [
            ParameterDeclaration.Integer("address", "first register", 0, min: 0, max: 65535),
            ParameterDeclaration.Integer("count", "registers", 1, min: 1, max: 125),
            ParameterDeclaration.RequiredText("point", "the point the value goes to"),
        ])
    {
        RowsMin = 1,
        RowsMax = 3,
    };

    /// <summary>What columns cannot say: a row's point must be one the service writes.</summary>
    private static IEnumerable<ProgramProblem> CheckPolls(ProgramParameters parameters, ServiceManifest service)
    {
        var written = service.Regions.Where(r => r.Access == "write").SelectMany(r => r.Points).ToHashSet(StringComparer.Ordinal);
        var rows = parameters.Table("polls");
        for (var i = 0; i < rows.Length; i++)
        {
            var point = rows[i].Text("point");
            if (!written.Contains(point))
            {
                yield return new ProgramProblem($"tables.polls[{i}].point", $"point '{point}' is not written by this service", "a point of a region it writes");
            }
        }
    }

    /// <summary>One parameter of each type, with units, ranges and a required one: what the corpus checks values against.</summary>
    public static IReadOnlyList<ParameterDeclaration> TypedParameters { get; } =
    [
        ParameterDeclaration.Number("gainPercent", "gain", 50.0, "%", min: 0, max: 100),
        ParameterDeclaration.Integer("samples", "samples per reading", 1, min: 1, max: 16),
        ParameterDeclaration.RequiredText("region", "region the readings go to"),
        ParameterDeclaration.Boolean("inverted", "invert the reading", false),
    ];

    private static ProgramDescriptor Program(string type, params string[] parameters) =>
        new(type, "test program", [.. parameters.Select(p => ParameterDeclaration.Text(p, "test parameter"))], () => new NoService());

    private sealed class NoService : IService
    {
        public void Start(IServiceContext context)
        {
        }

        public void Stop()
        {
        }
    }

    /// <summary>Reads every file under <paramref name="directory"/> into an in-memory source, keyed by '/'-relative paths.</summary>
    public static InMemoryManifestSource InMemory(string directory)
    {
        var source = new InMemoryManifestSource();
        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml", SearchOption.AllDirectories))
        {
            source.Add(Path.GetRelativePath(directory, file).Replace('\\', '/'), File.ReadAllText(file));
        }

        return source;
    }

    public static string Describe(IReadOnlyList<ManifestDiagnostic> diagnostics) => ManifestReport.Format(diagnostics);
}
