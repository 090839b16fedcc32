using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Neokernel.Kernel.Manifests;

/// <summary>
/// The bounds a manifest must keep before anything builds a tree from it. YamlDotNet's parser is a
/// state machine (a deep file costs it a list, not a stack), but the node tree it feeds and every
/// walk over that tree recurse, so a file nested a hundred thousand levels deep would end the
/// process with a stack overflow; and an alias is a reference that every walk expands, so a few
/// hundred bytes of nested aliases ("billion laughs") would expand into billions of nodes. This
/// scan runs the parser alone, once, counting depth and nodes with every alias expanded, and
/// refuses the file at the first bound it crosses, with the place and the bound.
/// </summary>
public static class YamlLimits
{
    /// <summary>Nested mappings and sequences; a real manifest needs about five.</summary>
    public const int DepthMax = 64;

    /// <summary>Nodes (scalars, mappings, sequences) with every alias expanded; the demo's largest file has about 100.</summary>
    public const int NodesMax = 100_000;

    /// <summary>Characters of manifest text: the tank demo's files are under 2 KB.</summary>
    public const int TextCharsMax = 1 << 20;

    /// <summary>The first bound <paramref name="text"/> crosses, as a diagnostic in <paramref name="file"/>; null when it keeps them all or is not YAML (the loader reports that).</summary>
    public static ManifestDiagnostic? Check(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        if (text.Length > TextCharsMax)
        {
            return new ManifestDiagnostic(new SourceLocation(file, 0, 0), "(file)", $"the file has {text.Length} characters", $"at most {TextCharsMax} characters in a manifest");
        }

        try
        {
            return Scan(new Parser(new StringReader(text)), file);
        }
        catch (Exception)
        {
            // Broken syntax is the loader's to report, with its own wording and position. (YamlDotNet's
            // scanner throws InvalidOperationException, not only YamlException, on some broken input.)
            return null;
        }
    }

    private static ManifestDiagnostic? Scan(IParser parser, string file)
    {
        var anchors = new Dictionary<string, long>(StringComparer.Ordinal);
        var open = new Stack<(string? Anchor, long NodesBefore)>();
        var nodes = 0L;
        while (parser.MoveNext())
        {
            var current = parser.Current!;
            switch (current)
            {
                case AnchorAlias alias:
                    // An alias to an anchor not (yet) defined is the loader's error to report.
                    nodes += anchors.GetValueOrDefault(alias.Value.Value, 1);
                    break;
                case Scalar scalar:
                    nodes++;
                    Remember(anchors, scalar.Anchor, 1);
                    break;
                case NodeEvent start and (MappingStart or SequenceStart):
                    if (open.Count >= DepthMax)
                    {
                        return At(file, current, "yaml", $"mappings and sequences nested more than {DepthMax} deep", $"at most {DepthMax} levels of nesting");
                    }

                    open.Push((start.Anchor.IsEmpty ? null : start.Anchor.Value, nodes));
                    nodes++;
                    break;
                case MappingEnd or SequenceEnd:
                    var (anchor, before) = open.Pop();
                    if (anchor is not null)
                    {
                        anchors[anchor] = nodes - before;
                    }

                    break;
            }

            if (nodes > NodesMax)
            {
                return At(file, current, "yaml", $"more than {NodesMax} nodes once its aliases are expanded", $"at most {NodesMax} nodes; write values out instead of nesting aliases");
            }
        }

        return null;
    }

    private static void Remember(Dictionary<string, long> anchors, AnchorName anchor, long size)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = size;
        }
    }

    private static ManifestDiagnostic At(string file, ParsingEvent at, string field, string problem, string allowed) =>
        new(new SourceLocation(file, ManifestStructure.Line(at.Start), ManifestStructure.Column(at.Start)), field, problem, allowed);
}
