using Neokernel.Kernel.Services;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Neokernel.Kernel.Manifests;

/// <summary>Which kind of manifest a file holds, decided from its parsed document.</summary>
public enum ManifestKind
{
    /// <summary>A system file: its top-level mapping has <c>system</c> or <c>services</c>.</summary>
    System,

    /// <summary>A service file: anything else (its own checks say what is wrong with it).</summary>
    Service,
}

public static partial class ManifestLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> as what its document is: a system (with every service file it
    /// lists) or one service. The kind comes from the top-level keys of the parsed document, so a
    /// flow-style file (<c>{ system: demo, services: [...] }</c>) or one with comments first is read
    /// as what it is. A file that cannot be read or parsed is reported as such.
    /// </summary>
    public static IReadOnlyList<ManifestDiagnostic> Load(string path, IManifestSource source, ProgramCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(source);
        return KindOf(path, source) == ManifestKind.System
            ? LoadSystem(path, source, catalog).Diagnostics
            : LoadService(path, source, catalog).Diagnostics;
    }

    /// <summary>The kind of manifest in <paramref name="path"/>; <see cref="ManifestKind.Service"/> when it cannot tell (unreadable, not YAML, not a mapping), whose loading then reports why.</summary>
    public static ManifestKind KindOf(string path, IManifestSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        string? text;
        try
        {
            text = source.ReadText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return ManifestKind.Service;
        }

        return text is not null && YamlLimits.Check(text, path) is null && HasSystemKey(text) ? ManifestKind.System : ManifestKind.Service;
    }

    /// <summary>Whether the first document's root mapping has a <c>system</c> or <c>services</c> key. Parser events only: bounded by the limits already checked.</summary>
    private static bool HasSystemKey(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        var expectKey = false;
        var rootIsMapping = false;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        depth++;
                        if (depth == 1)
                        {
                            rootIsMapping = parser.Current is MappingStart;
                            expectKey = rootIsMapping;
                        }

                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        if (depth == 0)
                        {
                            return false;
                        }

                        // A value that was a collection has ended: the root mapping's next event is a key.
                        expectKey = depth == 1 && rootIsMapping;
                        break;
                    case Scalar scalar when depth == 1 && expectKey:
                        if (scalar.Value is "system" or "services")
                        {
                            return true;
                        }

                        expectKey = false;
                        break;
                    case Scalar or AnchorAlias when depth == 1:
                        expectKey = rootIsMapping;
                        break;
                }
            }
        }
        catch (Exception)
        {
            // Not YAML (YamlDotNet throws more than YamlException on some broken input): loaded as a service, whose loading says why.
            return false;
        }

        return false;
    }
}
