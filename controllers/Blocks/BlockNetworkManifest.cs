using System.Collections.Immutable;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers.Blocks;

/// <summary>A region point as a block network's manifest names it: <c>region/point</c>.</summary>
public readonly record struct PointReference(string Region, string Point)
{
    public const char Separator = '/';

    /// <summary>Whether <paramref name="text"/> is written as a point (it has a <c>/</c>); <paramref name="point"/> is then its two halves, trimmed.</summary>
    public static bool TryParse(string text, out PointReference point)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf(Separator, StringComparison.Ordinal);
        point = slash < 0 ? default : new PointReference(text[..slash].Trim(), text[(slash + 1)..].Trim());
        return slash >= 0;
    }

    public override string ToString() => $"{Region}{Separator}{Point}";
}

/// <summary>A network input the hosting service fills from a region point before each cycle.</summary>
public sealed record PointInput(string ExternalName, PointReference Point, BlockValueType Type);

/// <summary>A network output the hosting service writes to a region point after each cycle; <see cref="Row"/> is its row in the outputs table.</summary>
public sealed record PointOutput(string ExternalName, PointReference Point, int Row);

/// <summary>A block network read from a manifest's tables: the spec for the builder, and which points feed and take its externals.</summary>
public sealed record ManifestBlockNetwork(BlockNetworkSpec Spec, ImmutableArray<PointInput> Inputs, ImmutableArray<PointOutput> Outputs);

/// <summary>
/// A block network written as two program tables. <c>blocks</c> has one row per block instance:
/// its <c>name</c> and <c>type</c>, then one column per input pin it wires and per parameter it
/// sets, named as the block type names them (without regard to case). An input's value is a region
/// point (<c>region/point</c>), another block's output (<c>block.PIN</c>) or a literal of the pin's
/// type (<c>60.0</c>, <c>TRUE</c>, <c>T#5s</c>); a parameter's value is a literal. <c>outputs</c> has
/// one row per region point the network writes: the <c>point</c> and the block output it comes
/// <c>from</c>. <see cref="Read"/> turns the tables into a <see cref="BlockNetworkSpec"/>, and
/// <see cref="Check"/> adds the builder's checks and the points' against the service's regions,
/// each problem at the column it is about.
/// </summary>
public static class BlockNetworkManifest
{
    public const string BlocksTable = "blocks";
    public const string OutputsTable = "outputs";
    public const string NameColumn = "name";
    public const string TypeColumn = "type";
    public const string PointColumn = "point";
    public const string FromColumn = "from";

    public static readonly TableDeclaration Blocks = new(
        BlocksTable,
        "the block instances: name and type, then each input pin wired (to a point region/point, a block output block.PIN or a literal) and each parameter set (a literal), named as docs/BLOCKS.md names them",
        [
            ParameterDeclaration.RequiredText(NameColumn, "the instance's name, unique in the network"),
            ParameterDeclaration.RequiredText(TypeColumn, "the block type (docs/BLOCKS.md)"),
        ])
    {
        RowsMin = 1,
        RowsMax = BlockLimits.BlocksMax,
        OtherColumns = true,
    };

    public static readonly TableDeclaration Outputs = new(
        OutputsTable,
        "the region points the network writes after each cycle, each from a block output",
        [
            ParameterDeclaration.RequiredText(PointColumn, "the point written, region/point, in a region this service writes"),
            ParameterDeclaration.RequiredText(FromColumn, "the block output it takes, block.PIN (or a literal)"),
        ])
    {
        RowsMax = BlockLimits.ExternalsMax,
    };

    /// <summary>
    /// The network the tables describe, with every problem found reading them (unknown columns,
    /// malformed values); the builder's own checks are <see cref="Check"/>'s. The network is null
    /// when there is a problem.
    /// </summary>
    public static (ManifestBlockNetwork? Network, ImmutableArray<ProgramProblem> Problems) Read(ProgramParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var reading = new Reading(parameters.Table(BlocksTable), parameters.Table(OutputsTable));
        return reading.Run();
    }

    /// <summary>
    /// Everything <c>validate</c> checks of a block network: what <see cref="Read"/> finds, every
    /// point against the service's regions (read from a region it reads, written to one it writes,
    /// each point written once), and the builder's checks (types, ranges, unknown pins, algebraic loops).
    /// </summary>
    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var (network, problems) = Read(parameters);
        if (network is null)
        {
            return problems;
        }

        var found = new List<ProgramProblem>();
        CheckPoints(network, parameters, service, found);
        foreach (var error in BlockNetworkBuilder.Validate(network.Spec))
        {
            if (error is { Kind: BlockNetworkErrorKind.DuplicateName, BlockName: null })
            {
                // A point written twice: CheckPoints said so at the second row's point.
                continue;
            }

            found.Add(new ProgramProblem(PathOf(error, network, parameters), error.Message, Allowed(error.Kind)));
        }

        return found;
    }

    /// <summary>Builds the network a validated manifest describes, at start; a problem left (a manifest built in code) throws, naming it.</summary>
    public static (BlockNetwork Network, ManifestBlockNetwork Manifest) Build(string serviceId, ProgramParameters parameters)
    {
        var (manifest, problems) = Read(parameters);
        if (manifest is null)
        {
            throw new ServiceConfigurationException(serviceId, problems[0].Path, problems[0].Problem);
        }

        var result = BlockNetworkBuilder.Build(manifest.Spec);
        if (result.Network is null)
        {
            var error = result.Errors[0];
            throw new ServiceConfigurationException(serviceId, PathOf(error, manifest, parameters), error.Message);
        }

        return (result.Network, manifest);
    }

    private static void CheckPoints(ManifestBlockNetwork network, ProgramParameters parameters, ServiceManifest service, List<ProgramProblem> found)
    {
        var rows = parameters.Table(BlocksTable);
        foreach (var input in network.Inputs)
        {
            var problem = PointProblem(input.Point, service, write: false);
            if (problem is not null)
            {
                foreach (var (row, column) in Uses(rows, input.Point))
                {
                    found.Add(new ProgramProblem($"tables.{BlocksTable}[{row}].{column}", problem.Value.Problem, problem.Value.Allowed));
                }
            }
        }

        var written = new Dictionary<PointReference, int>();
        foreach (var output in network.Outputs)
        {
            var path = $"tables.{OutputsTable}[{output.Row}].{PointColumn}";
            if (PointProblem(output.Point, service, write: true) is { } problem)
            {
                found.Add(new ProgramProblem(path, problem.Problem, problem.Allowed));
            }
            else if (!written.TryAdd(output.Point, output.Row))
            {
                found.Add(new ProgramProblem(path, $"point {output.Point} is written twice (row {written[output.Point]} writes it too)", "each point once in outputs"));
            }
        }
    }

    private static (string Problem, string Allowed)? PointProblem(PointReference point, ServiceManifest service, bool write)
    {
        var access = write ? "write" : "read";
        var declared = string.Join(", ", service.Regions.Select(r => $"{r.Name} ({r.Access})"));
        var region = service.Regions.FirstOrDefault(r => r.Name == point.Region);
        if (region is null)
        {
            return ($"no region '{point.Region}' in this service's regions", declared.Length == 0 ? "a region this service declares (it declares none)" : declared);
        }

        if (region.Access != access)
        {
            var problem = write
                ? $"point {point} is owned by the service that writes region '{point.Region}': this service declares it read, and a region has one writer"
                : $"region '{point.Region}' is one this service writes; the network reads inputs from regions it reads";
            return (problem, $"a point of a region this service declares with access {access}");
        }

        var points = region.DeclaredPoints();
        return points.Contains(point.Point)
            ? null
            : ($"region '{point.Region}' has no point '{point.Point}'", string.Join(", ", points));
    }

    /// <summary>Where in the blocks table <paramref name="point"/> is written: each (row, column).</summary>
    private static IEnumerable<(int Row, string Column)> Uses(ImmutableArray<ProgramParameters> rows, PointReference point)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            foreach (var (column, value) in rows[i].All)
            {
                if (column is not (NameColumn or TypeColumn) && PointReference.TryParse(value.Text, out var used) && used == point)
                {
                    yield return (i, column);
                }
            }
        }
    }

    /// <summary>The manifest path of the column (or row) a builder error is about.</summary>
    private static string PathOf(BlockNetworkError error, ManifestBlockNetwork network, ProgramParameters parameters)
    {
        if (error.BlockName is null)
        {
            var output = network.Outputs.FirstOrDefault(o => o.ExternalName == error.ExternalName);
            return output is null ? $"tables.{BlocksTable}" : $"tables.{OutputsTable}[{output.Row}].{FromColumn}";
        }

        var rows = parameters.Table(BlocksTable);
        var row = -1;
        for (var i = 0; i < rows.Length && row < 0; i++)
        {
            row = rows[i].Text(NameColumn) == error.BlockName ? i : -1;
        }

        if (row < 0)
        {
            return $"tables.{BlocksTable}";
        }

        var column = error.Kind == BlockNetworkErrorKind.UnknownBlockType ? TypeColumn
            : error.Pin is null ? NameColumn
            : rows[row].All.Keys.FirstOrDefault(k => string.Equals(k, error.Pin, StringComparison.OrdinalIgnoreCase)) ?? NameColumn;
        return $"tables.{BlocksTable}[{row}].{column}";
    }

    private static string Allowed(BlockNetworkErrorKind kind) => kind switch
    {
        BlockNetworkErrorKind.AlgebraicLoop => "a loop of wires through a DELAY block or a feedback input",
        BlockNetworkErrorKind.TypeMismatch => "a source of the pin's type (docs/BLOCKS.md)",
        BlockNetworkErrorKind.UnknownBlockType => BlockCatalog.TypeNames,
        BlockNetworkErrorKind.InvalidParameter => "a value in the parameter's range (docs/BLOCKS.md)",
        BlockNetworkErrorKind.DuplicateName => "a name used once",
        BlockNetworkErrorKind.TooMany => $"at most {BlockLimits.BlocksMax} blocks and {BlockLimits.ExternalsMax} points each way",
        _ => "the pins, parameters and blocks docs/BLOCKS.md lists",
    };

    private sealed class Reading(ImmutableArray<ProgramParameters> blockRows, ImmutableArray<ProgramParameters> outputRows)
    {
        private readonly List<ProgramProblem> problems = [];
        private readonly Dictionary<(PointReference Point, BlockValueType Type), string> inputs = [];
        private readonly List<PointInput> pointInputs = [];
        private readonly HashSet<string> blockNames = new(StringComparer.Ordinal);

        public (ManifestBlockNetwork?, ImmutableArray<ProgramProblem>) Run()
        {
            foreach (var row in blockRows)
            {
                blockNames.Add(row.Text(NameColumn));
            }

            var blocks = ImmutableArray.CreateBuilder<BlockInstanceSpec>(blockRows.Length);
            for (var i = 0; i < blockRows.Length; i++)
            {
                blocks.Add(ReadBlock(i, blockRows[i]));
            }

            var outputs = ImmutableArray.CreateBuilder<ExternalOutputSpec>(outputRows.Length);
            var pointOutputs = ImmutableArray.CreateBuilder<PointOutput>(outputRows.Length);
            for (var i = 0; i < outputRows.Length; i++)
            {
                ReadOutput(i, outputRows[i], outputs, pointOutputs);
            }

            if (problems.Count > 0)
            {
                return (null, [.. problems]);
            }

            var spec = new BlockNetworkSpec(blocks.ToImmutable(), [.. pointInputs.Select(p => new ExternalInputSpec(p.ExternalName, p.Type))], outputs.ToImmutable());
            return (new ManifestBlockNetwork(spec, [.. pointInputs], pointOutputs.ToImmutable()), []);
        }

        private BlockInstanceSpec ReadBlock(int index, ProgramParameters row)
        {
            var name = row.Text(NameColumn);
            var typeName = row.Text(TypeColumn);
            var settings = ImmutableArray.CreateBuilder<ParameterSetting>();
            var wires = ImmutableArray.CreateBuilder<InputWire>();
            if (!BlockCatalog.TryGet(typeName, out var descriptor))
            {
                // The builder names the unknown type at the type column; its other columns cannot be read.
                return new BlockInstanceSpec(name, typeName, [], []);
            }

            foreach (var (column, value) in row.All.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (column is NameColumn or TypeColumn)
                {
                    continue;
                }

                var path = $"tables.{BlocksTable}[{index}].{column}";
                var pin = descriptor.InputIndex(column);
                var parameter = descriptor.ParameterIndex(column);
                if (pin >= 0)
                {
                    if (Source(value.Text, descriptor.Inputs[pin].Type, path, $"block '{name}' ({descriptor.TypeName}) input {descriptor.Inputs[pin].Name}") is { } source)
                    {
                        wires.Add(new InputWire(descriptor.Inputs[pin].Name, source));
                    }
                }
                else if (parameter >= 0)
                {
                    var declared = descriptor.Parameters[parameter];
                    if (BlockValueParser.TryParse(value.Text, declared.Type, out var literal, out var error))
                    {
                        settings.Add(new ParameterSetting(declared.Name, literal));
                    }
                    else
                    {
                        problems.Add(new ProgramProblem(path, $"block '{name}' ({descriptor.TypeName}) parameter {declared.Name}: {error}", declared.AllowedRange));
                    }
                }
                else
                {
                    var hint = descriptor.OutputIndex(column) >= 0 ? $"; {column} is an output: wire it in {OutputsTable} or into another block's input as {name}.{column}" : string.Empty;
                    problems.Add(new ProgramProblem(path, $"block '{name}' ({descriptor.TypeName}) has no input or parameter '{column}'{hint}", $"its inputs: {BlockDescriptor.Names(descriptor.Inputs)}; its parameters: {descriptor.ParameterNames}"));
                }
            }

            return new BlockInstanceSpec(name, typeName, settings.ToImmutable(), wires.ToImmutable());
        }

        private void ReadOutput(int index, ProgramParameters row, ImmutableArray<ExternalOutputSpec>.Builder outputs, ImmutableArray<PointOutput>.Builder pointOutputs)
        {
            var pointText = row.Text(PointColumn);
            if (!PointReference.TryParse(pointText, out var point) || point.Region.Length == 0 || point.Point.Length == 0)
            {
                problems.Add(new ProgramProblem($"tables.{OutputsTable}[{index}].{PointColumn}", $"'{pointText}' is not a point", "region/point, such as tank.outputs/pump"));
                return;
            }

            var from = row.Text(FromColumn);
            var source = BlockOutput(from) ?? Literal(from);
            if (source is null)
            {
                problems.Add(new ProgramProblem($"tables.{OutputsTable}[{index}].{FromColumn}", $"'{from}' is neither a block output nor a literal", "block.PIN, such as tic.OUT, or a literal"));
                return;
            }

            var name = point.ToString();
            outputs.Add(new ExternalOutputSpec(name, source.Value));
            pointOutputs.Add(new PointOutput(name, point, index));
        }

        /// <summary>A point, a literal of <paramref name="type"/>, or a block output, in that order; null after a problem.</summary>
        private WireSource? Source(string text, BlockValueType type, string path, string subject)
        {
            if (PointReference.TryParse(text, out var point))
            {
                if (point.Region.Length == 0 || point.Point.Length == 0)
                {
                    problems.Add(new ProgramProblem(path, $"{subject}: '{text}' is not a point", "region/point, such as tank.inputs/level"));
                    return null;
                }

                return WireSource.External(InputFor(point, type));
            }

            if (BlockValueParser.TryParse(text, type, out var literal, out _))
            {
                return WireSource.Value(literal);
            }

            if (BlockOutput(text) is { } output)
            {
                return output;
            }

            problems.Add(new ProgramProblem(path, $"{subject}: '{text}' is no point, no {BlockValue.TypeName(type)} literal and no block's output", $"region/point, block.PIN of a block of this network, or a {BlockValue.TypeName(type)} ({BlockValueParser.Expected(type)})"));
            return null;
        }

        /// <summary><c>block.PIN</c> naming a block of the table (the builder checks the pin); null otherwise.</summary>
        private WireSource? BlockOutput(string text)
        {
            var dot = text.LastIndexOf('.');
            if (dot <= 0 || dot == text.Length - 1)
            {
                return null;
            }

            var block = text[..dot].Trim();
            return blockNames.Contains(block) ? WireSource.Output(block, text[(dot + 1)..].Trim()) : null;
        }

        private static WireSource? Literal(string text)
        {
            foreach (var type in (ReadOnlySpan<BlockValueType>)[BlockValueType.Real, BlockValueType.Bool, BlockValueType.Time])
            {
                if (BlockValueParser.TryParse(text, type, out var literal, out _))
                {
                    return WireSource.Value(literal);
                }
            }

            return null;
        }

        /// <summary>The external input for <paramref name="point"/> read as <paramref name="type"/>: one per point and type.</summary>
        private string InputFor(PointReference point, BlockValueType type)
        {
            if (!inputs.TryGetValue((point, type), out var name))
            {
                name = inputs.Keys.Any(k => k.Point == point) ? $"{point} ({BlockValue.TypeName(type)})" : point.ToString();
                inputs.Add((point, type), name);
                pointInputs.Add(new PointInput(name, point, type));
            }

            return name;
        }
    }
}
