namespace Neokernel.Kernel.Manifests;

/// <summary>
/// Turns YamlDotNet's parser messages into text a control engineer can act on. The parser's
/// wording ("While scanning a plain scalar value, found invalid mapping.") names its internals;
/// these say what is wrong in the file and how it is usually fixed.
/// </summary>
internal static class YamlErrorText
{
    private static readonly (string Fragment, string Problem, string Allowed)[] Known =
    [
        ("found invalid mapping", "a ':' inside a value starts a mapping where none can be", "quote the value, or put the nested mapping on its own indented line"),
        ("mapping values are not allowed", "a ':' here starts a mapping where none can be", "quote the value, or put the nested mapping on its own indented line"),
        ("did not find expected key", "a line is indented wrongly or is not 'key: value'", "keys of one mapping at the same indentation"),
        ("did not find expected '-' indicator", "a list item is indented wrongly", "items of one list at the same indentation, each starting with '- '"),
        ("tab character", "a tab is used for indentation", "spaces for indentation"),
        ("quoted scalar", "a quoted text is not closed", "matching quotes on one value"),
        ("did not find expected ',' or ']'", "a [ ] list is not closed", "[a, b, c]"),
        ("did not find expected ',' or '}'", "a { } mapping is not closed", "{key: value, key: value}"),
        ("duplicate key", "this field appears twice in one mapping", "each field at most once"),
        ("anchor", "an alias names an anchor that is not defined", "*name only after &name"),
        ("alias", "an alias names an anchor that is not defined", "*name only after &name"),
        ("did not find expected node content", "a value is missing or malformed", "key: value"),
        ("did not find expected <document start>", "the file has content after the document ends", "one YAML document per file"),
        ("could not find expected ':'", "a key has no ':' after it", "key: value"),
    ];

    public static (string Problem, string Allowed) Translate(string message)
    {
        foreach (var (fragment, problem, allowed) in Known)
        {
            if (message.Contains(fragment, StringComparison.OrdinalIgnoreCase))
            {
                return (problem, allowed);
            }
        }

        return ("invalid YAML syntax", "YAML 1.1 block or flow mappings and lists");
    }
}
