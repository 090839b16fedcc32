using System.Text.RegularExpressions;
using Neokernel.Kernel.Services;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Neokernel.Kernel.Manifests;

/// <summary>The outcome of loading a system: a definition only if every file read and checked cleanly.</summary>
public sealed record ManifestLoadResult(SystemDefinition? System, IReadOnlyList<ManifestDiagnostic> Diagnostics)
{
    public bool Succeeded => System is not null && Diagnostics.Count == 0;
}

/// <summary>
/// Reads system and service manifests and checks them. Bad input of any kind (a missing file,
/// broken YAML, an unknown field, a wrong type, a broken rule) comes back as diagnostics with
/// file, line and column; nothing here throws on input. A result carries a definition only when
/// there are no diagnostics, so authority is never granted from a manifest that is partly wrong.
/// </summary>
public static partial class ManifestLoader
{
    /// <summary>Loads the system file at <paramref name="systemPath"/>, every service file it lists, and checks them together.</summary>
    public static ManifestLoadResult LoadSystem(string systemPath, IManifestSource source, ProgramCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(systemPath);
        ArgumentNullException.ThrowIfNull(source);
        var sink = new DiagnosticSink();
        var system = Read<SystemManifest>(systemPath, source, ManifestShape.SystemRoot, sink, referrer: null);
        if (system is null)
        {
            return new ManifestLoadResult(null, sink.Items);
        }

        ManifestValidator.CheckSystemFile(sink, system.Value.Manifest, system.Value.Positions);
        var (services, complete) = ReadServices(system.Value.Manifest, system.Value.Positions, source, sink);
        var sound = new List<LocatedService>();
        foreach (var service in services)
        {
            if (ManifestValidator.CheckService(sink, service, catalog))
            {
                sound.Add(service);
            }
        }

        // Cross-service checks on a partial system would report every reference to the missing file as a second error.
        if (complete)
        {
            ManifestValidator.CheckAcross(sink, system.Value.Manifest, system.Value.Positions, services, catalog, sound);
        }

        if (sink.Count > 0)
        {
            return new ManifestLoadResult(null, sink.Items);
        }

        var definition = SpecBuilder.Definition(system.Value.Manifest, systemPath, services.Select(s => (s.Manifest, s.File, s.Simulated)), catalog);
        return new ManifestLoadResult(definition, sink.Items);
    }

    /// <summary>Loads and checks one service file on its own; the manifest is null unless it has no diagnostics.</summary>
    public static (ServiceManifest? Manifest, IReadOnlyList<ManifestDiagnostic> Diagnostics) LoadService(string path, IManifestSource source, ProgramCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(source);
        var sink = new DiagnosticSink();
        var service = Read<ServiceManifest>(path, source, ManifestShape.ServiceRoot, sink, referrer: null);
        if (service is null)
        {
            return (null, sink.Items);
        }

        ManifestValidator.CheckService(sink, new LocatedService(service.Value.Manifest, service.Value.Positions), catalog);
        return (sink.Count == 0 ? service.Value.Manifest : null, sink.Items);
    }

    private static (List<LocatedService> Services, bool Complete) ReadServices(SystemManifest system, ManifestPositions positions, IManifestSource source, DiagnosticSink sink)
    {
        var services = new List<LocatedService>();
        var listed = new Dictionary<string, int>(StringComparer.Ordinal);
        var complete = true;
        for (var i = 0; i < system.Services.Count; i++)
        {
            var entry = system.Services[i].Manifest;
            if (entry.Length == 0)
            {
                complete = false;
                continue;
            }

            var field = $"services[{i}].manifest";
            var path = Resolve(source, positions.File, entry, positions, field, sink);
            if (path is null)
            {
                complete = false;
                continue;
            }

            if (!listed.TryAdd(path, i))
            {
                sink.At(positions, field, $"'{entry}' is listed twice (also services[{listed[path]}])", "each service file once");
                continue;
            }

            var service = Read<ServiceManifest>(path, source, ManifestShape.ServiceRoot, sink, (positions, field));
            if (service is null)
            {
                complete = false;
                continue;
            }

            services.Add(new LocatedService(service.Value.Manifest, service.Value.Positions, system.Services[i].Simulated));
        }

        return (services, complete);
    }

    private static string? Resolve(IManifestSource source, string fromFile, string entry, ManifestPositions positions, string field, DiagnosticSink sink)
    {
        try
        {
            return source.ResolveRelative(fromFile, entry);
        }
        catch (Exception e)
        {
            sink.At(positions, field, $"'{entry}' is not a usable path: {e.Message}", "a path relative to the system file");
            return null;
        }
    }

    /// <summary>
    /// Reads one file into <typeparamref name="T"/>: text, YAML syntax, structure, then the static
    /// deserializer. Returns null, with diagnostics, if any step fails. A file that is missing is
    /// reported where it was referenced from, if it was.
    /// </summary>
    private static (T Manifest, ManifestPositions Positions)? Read<T>(string path, IManifestSource source, ManifestShape shape, DiagnosticSink sink, (ManifestPositions Positions, string Field)? referrer)
        where T : class
    {
        var text = ReadText(path, source, sink, referrer);
        if (text is null)
        {
            return null;
        }

        // Bounded first: nothing builds or walks a tree from a file too deep or too large once expanded.
        if (YamlLimits.Check(text, path) is { } beyond)
        {
            sink.Items.Add(beyond);
            return null;
        }

        var positions = new ManifestPositions(path);
        var root = Parse(text, positions, shape, sink);
        if (root is null || !ManifestStructure.Check(root, shape, positions, sink.Items))
        {
            return null;
        }

        var manifest = Deserialize<T>(text, positions, sink);
        return manifest is null ? null : (manifest, positions);
    }

    private static string? ReadText(string path, IManifestSource source, DiagnosticSink sink, (ManifestPositions Positions, string Field)? referrer)
    {
        string? text;
        string problem;
        try
        {
            text = source.ReadText(path);
            problem = $"file not found: {path}";
        }
        catch (Exception e)
        {
            text = null;
            problem = $"cannot read {path}: {e.Message}";
        }

        if (text is not null)
        {
            return text;
        }

        if (referrer is { } from)
        {
            sink.At(from.Positions, from.Field, problem, "a path, relative to the system file, of an existing service manifest");
        }
        else
        {
            sink.Items.Add(new ManifestDiagnostic(new SourceLocation(path, 0, 0), "(file)", problem, "an existing manifest file"));
        }

        return null;
    }

    /// <summary>Parses YAML syntax into a node tree (which keeps positions); null, with a diagnostic, if the text is not one usable document.</summary>
    private static YamlNode? Parse(string text, ManifestPositions positions, ManifestShape shape, DiagnosticSink sink)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var (problem, allowed) = YamlErrorText.Translate(e.Message);
            sink.Items.Add(new ManifestDiagnostic(Location(positions.File, e.Start), "yaml", problem, allowed));
            return null;
        }
        catch (Exception e)
        {
            sink.Items.Add(new ManifestDiagnostic(new SourceLocation(positions.File, 0, 0), "yaml", $"cannot parse: {e.Message}", "a YAML mapping"));
            return null;
        }

        if (stream.Documents.Count == 0 || ManifestStructure.IsNull(stream.Documents[0].RootNode))
        {
            sink.Items.Add(new ManifestDiagnostic(new SourceLocation(positions.File, 0, 0), "(file)", "the file is empty", $"a mapping with fields {shape.FieldList}"));
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            sink.Items.Add(new ManifestDiagnostic(Location(positions.File, stream.Documents[1].RootNode.Start), "(file)", "a second YAML document ('---') in one manifest", "one document per file"));
            return null;
        }

        return stream.Documents[0].RootNode;
    }

    /// <summary>
    /// Binds the checked text to the model with the generated deserializer. The structural check
    /// has already caught what the deserializer would reject; should it still throw, the error is
    /// placed at the field whose position matches and its message is not passed on raw.
    /// </summary>
    private static T? Deserialize<T>(string text, ManifestPositions positions, DiagnosticSink sink)
        where T : class
    {
        try
        {
            var manifest = ManifestShape.CreateDeserializer().Deserialize<T>(text);
            if (manifest is null)
            {
                sink.Items.Add(new ManifestDiagnostic(new SourceLocation(positions.File, 0, 0), "(file)", "the file is empty", "a mapping"));
            }

            return manifest;
        }
        catch (YamlException e)
        {
            sink.Items.Add(FromDeserializerError(e, positions));
            return null;
        }
        catch (Exception e)
        {
            sink.Items.Add(new ManifestDiagnostic(new SourceLocation(positions.File, 0, 0), "(file)", $"cannot read manifest: {e.GetType().Name}", "a manifest that matches the schema"));
            return null;
        }
    }

    /// <summary>
    /// A deserializer error as a diagnostic: placed by its start mark, named by the field written
    /// there, and worded for people; the deserializer's own text names CLR types and is not shown.
    /// </summary>
    internal static ManifestDiagnostic FromDeserializerError(YamlException error, ManifestPositions positions)
    {
        var location = Location(positions.File, error.Start);
        var field = positions.FieldAt(location.Line, location.Column) ?? "yaml";
        var unknown = UnknownProperty().Match(error.Message);
        return unknown.Success
            ? new ManifestDiagnostic(location, ManifestStructure.Join(field == "yaml" ? "" : field, unknown.Groups[1].Value), "unknown field", "the fields the manifest schema lists here")
            : new ManifestDiagnostic(location, field, "value cannot be read as this field's type", "the type the manifest schema gives this field");
    }

    [GeneratedRegex(@"^Property '([^']*)' not found on type")]
    private static partial Regex UnknownProperty();

    private static SourceLocation Location(string file, Mark mark) =>
        new(file, ManifestStructure.Line(mark), ManifestStructure.Column(mark));
}
