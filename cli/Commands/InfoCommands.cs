using Neokernel.Kernel.Services;

namespace Neokernel.Cli.Commands;

/// <summary>Commands that describe the binary: its programs, the service lifecycle and the trace's fields.</summary>
internal static class InfoCommands
{
    public static int Programs(TextWriter output)
    {
        foreach (var program in Composition.Catalog().All)
        {
            output.WriteLine($"{program.Type}: {program.Description}");
            output.WriteLine($"  parameters: {(program.Parameters.Count == 0 ? "none" : string.Join(", ", program.Parameters))}");
        }

        return 0;
    }

    public static int Lifecycle(IReadOnlyList<string> args, TextWriter output)
    {
        var line = CommandLine.Parse(args);
        var format = line.Option("format") ?? "mermaid";
        line.RejectUnknown();
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
