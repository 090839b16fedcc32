using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Cli.Commands;

/// <summary>Commands that describe the binary: its programs, the service lifecycle and the trace's fields.</summary>
internal static class InfoCommands
{
    public static int Programs(IReadOnlyList<string> args, TextWriter output)
    {
        var line = CommandLine.Parse(args, "schema");
        var schema = line.Flag("schema");
        line.RejectUnknown();
        line.RejectPositional("programs");
        if (schema)
        {
            output.WriteLine(ProgramSchema.AllOf(Composition.Catalog()));
            return 0;
        }

        foreach (var program in Composition.Catalog().All)
        {
            output.WriteLine($"{program.Type}: {program.Description}");
            if (program.Parameters.Count == 0)
            {
                output.WriteLine("  parameters: none");
            }

            foreach (var parameter in program.Parameters)
            {
                output.WriteLine($"  {parameter.Name} ({Describe(parameter)}): {parameter.Description}");
            }

            foreach (var table in program.Tables)
            {
                output.WriteLine($"  table {table.Name} ({table.RowsMin}..{table.RowsAllowed} rows): {table.Description}");
                foreach (var column in table.Columns)
                {
                    output.WriteLine($"    {column.Name} ({Describe(column)}): {column.Description}");
                }
            }
        }

        return 0;
    }

    /// <summary>Type, unit, default or required, range: <c>number, s, default 0, 0 or more</c>.</summary>
    private static string Describe(ParameterDeclaration parameter)
    {
        var parts = new List<string> { parameter.TypeWord };
        if (parameter.Unit is { } unit)
        {
            parts.Add(unit);
        }

        parts.Add(parameter.Default is { } value ? $"default {(value.Text.Length == 0 ? "empty" : value.Text)}" : "required");
        if (parameter.RangeText.Length > 0)
        {
            parts.Add(parameter.RangeText);
        }

        return string.Join(", ", parts);
    }

    public static int Lifecycle(IReadOnlyList<string> args, TextWriter output)
    {
        var line = CommandLine.Parse(args);
        var format = line.Option("format") ?? "mermaid";
        line.RejectUnknown();
        line.RejectPositional("lifecycle");
        output.WriteLine(format switch
        {
            "dot" => ServiceLifecycle.ToDotGraph(),
            "mermaid" => ServiceLifecycle.ToMermaid(),
            _ => throw new UsageException($"--format {format}: known formats are dot and mermaid"),
        });
        return 0;
    }

    /// <summary>The trace schema as Markdown: the text of docs/TRACE.md.</summary>
    public static int TraceSchema(TextWriter output)
    {
        output.Write(Kernel.Trace.TraceSchema.Markdown());
        return 0;
    }
}
