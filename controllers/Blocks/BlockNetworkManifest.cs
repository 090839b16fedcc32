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

/// <summary>Whether a named value of a network is one of a block's input pins, a block's state or one of its tunable parameters.</summary>
public enum NetworkValueKind : byte
{
    Input,
    State,
    Parameter,
}

/// <summary>
/// A value of one block an operator may set (<c>settable</c>) or the store keeps (<c>retain</c>):
/// the block, the pin's or state's name as its type spells it, what it is, its type, and the row of
/// the blocks table that names it.
/// </summary>
public sealed record NetworkValue(string Block, string Name, NetworkValueKind Kind, BlockValueType Type, int Row)
{
    /// <summary><c>block.NAME</c>, as commands name it.</summary>
    public string FullName => $"{Block}.{Name}";
}

/// <summary>
/// A block network read from a manifest's tables: the spec for the builder, which points feed and
/// take its externals, the inputs operators may set through its command endpoint, and the values
/// its retain store keeps.
/// </summary>
public sealed record ManifestBlockNetwork(BlockNetworkSpec Spec, ImmutableArray<PointInput> Inputs, ImmutableArray<PointOutput> Outputs)
{
    public ImmutableArray<NetworkValue> Settable { get; init; } = [];

    public ImmutableArray<NetworkValue> Retained { get; init; } = [];
}

/// <summary>
/// A block network written as two program tables. <c>blocks</c> has one row per block instance:
/// its <c>name</c> and <c>type</c>, then one column per input pin it wires and per parameter it
/// sets, named as the block type names them (without regard to case). An input's value is a region
/// point (<c>region/point</c>), another block's output (<c>block.PIN</c>) or a literal of the pin's
/// type (<c>60.0</c>, <c>TRUE</c>, <c>T#5s</c>); a parameter's value is a literal. <c>outputs</c> has
/// one row per region point the network writes: the <c>point</c> and the block output it comes
/// <c>from</c>. Two more columns of a block's row list names, separated by commas or spaces:
/// <c>settable</c>, the input pins fed by a literal (or their default) and the tuning parameters
/// (<see cref="ParameterDescriptor.Tunable"/>) that an operator may set through the program's
/// <c>commandEndpoint</c> (<see cref="BlockNetworkCommands"/>), and <c>retain</c>, the settable
/// inputs and parameters and the block's state (<see cref="BlockDescriptor.State"/>) that the
/// service's retain store keeps over restarts. <see cref="Read"/> turns the tables into a
/// <see cref="BlockNetworkSpec"/>, and <see cref="Check"/> adds the builder's checks and the points'
/// against the service's regions, the endpoint and the store, each problem at the column it is about.
/// </summary>
public static class BlockNetworkManifest
{
    public const string BlocksTable = "blocks";
    public const string OutputsTable = "outputs";
    public const string NameColumn = "name";
    public const string TypeColumn = "type";
    public const string PointColumn = "point";
    public const string FromColumn = "from";
    public const string SettableColumn = "settable";
    public const string RetainColumn = "retain";
    public const string CommandEndpointParameter = "commandEndpoint";
    public const string RetainSaveMsParameter = "retainSaveMs";

    /// <summary>The program's parameters beside its tables.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.Text(CommandEndpointParameter, "endpoint served for operator commands (set and read block values: BlockNetworkCommands); empty for none"),
        ParameterDeclaration.Integer(RetainSaveMsParameter, "how often retained block state (counts, totals) is saved when it changed; settable values are saved when set", 1000, "ms", min: 10, max: 3_600_000),
    ];

    public static readonly TableDeclaration Blocks = new(
        BlocksTable,
        "the block instances: name and type, then each input pin wired (to a point region/point, a block output block.PIN or a literal) and each parameter set (a literal), named as docs/BLOCKS.md names them",
        [
            ParameterDeclaration.RequiredText(NameColumn, "the instance's name, unique in the network"),
            ParameterDeclaration.RequiredText(TypeColumn, "the block type (docs/BLOCKS.md)"),
            ParameterDeclaration.Text(SettableColumn, "input pins fed by a literal (or their default) and tuning parameters that operators may set through commandEndpoint, separated by commas"),
            ParameterDeclaration.Text(RetainColumn, "settable inputs and parameters and block state (docs/BLOCKS.md) the retain store keeps over restarts, separated by commas"),
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
        CheckOperatorValues(network, parameters, service, found);
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

    /// <summary>
    /// A network with a <c>commandEndpoint</c> speaks <see cref="BlockNetworkCommands"/> there: every
    /// input, output, state and parameter of every block may be read (block.PIN, without regard to
    /// case, as the network looks them up), and the inputs and tuning parameters its rows list under
    /// <c>settable</c> may be set.
    /// </summary>
    public static IEnumerable<ServedContract> Serves(ProgramParameters parameters, ServiceManifest service)
    {
        var endpoint = parameters.Text(CommandEndpointParameter);
        if (endpoint.Length == 0 || Read(parameters).Network is not { } network)
        {
            return [];
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var block in network.Spec.Blocks)
        {
            if (BlockCatalog.TryGet(block.TypeName, out var descriptor))
            {
                foreach (var pin in descriptor.Inputs.Concat(descriptor.Outputs).Concat(descriptor.State))
                {
                    names.Add($"{block.Name}.{pin.Name}");
                }

                foreach (var parameter in descriptor.Parameters)
                {
                    names.Add($"{block.Name}.{parameter.Name}");
                }
            }
        }

        var settable = network.Settable.Select(v => v.FullName).ToList();
        var blocks = string.Join(", ", network.Spec.Blocks.Select(b => b.Name));
        return
        [
            new ServedContract(endpoint, nameof(BlockNetworkCommands))
            {
                Names = names,
                Settable = new HashSet<string>(settable, StringComparer.OrdinalIgnoreCase),
                NamesHint = $"block.PIN of one of the network's blocks ({blocks}): any input, output, state or parameter of its type (docs/BLOCKS.md)",
                SettableHint = settable.Count == 0
                    ? $"none is settable there: list the input or tuning parameter under its block's {SettableColumn} column (an input fed by a literal or left at its default)"
                    : $"settable there: {string.Join(", ", settable)}; list another input or tuning parameter under its block's {SettableColumn} column (an input fed by a literal or left at its default)",
            },
        ];
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

    /// <summary>Settable values need the endpoint they are set through, and retained ones a store large enough for their record.</summary>
    private static void CheckOperatorValues(ManifestBlockNetwork network, ProgramParameters parameters, ServiceManifest service, List<ProgramProblem> found)
    {
        var endpoint = parameters.Text(CommandEndpointParameter);
        var provided = string.Join(", ", service.Endpoints.Provides.Select(p => p.Name));
        if (endpoint.Length > 0 && !service.Endpoints.Provides.Any(p => p.Name == endpoint))
        {
            found.Add(new ProgramProblem($"parameters.{CommandEndpointParameter}", $"endpoint '{endpoint}' is not one this service provides", provided.Length == 0 ? "an endpoint under endpoints.provides (this service provides none)" : provided));
        }
        else if (endpoint.Length > 0 && service.Endpoints.Provides.First(p => p.Name == endpoint).MaxMessageBytes is var bytes && bytes < BlockNetworkCommands.ValueReplyBytes)
        {
            found.Add(new ProgramProblem($"parameters.{CommandEndpointParameter}", $"endpoint '{endpoint}' carries messages of at most {bytes} bytes, too few for a value's reply", $"maxMessageBytes of at least {BlockNetworkCommands.ValueReplyBytes} ({BlockNetworkCommands.MessageBytesMax} for the longest names)"));
        }

        if (endpoint.Length == 0 && network.Settable.FirstOrDefault() is { } first)
        {
            found.Add(new ProgramProblem($"tables.{BlocksTable}[{first.Row}].{SettableColumn}", $"{first.FullName} is settable, but the network serves no commands", $"the program parameter {CommandEndpointParameter}: an endpoint this service provides"));
        }

        if (network.Retained.FirstOrDefault() is not { } retained)
        {
            return;
        }

        var path = $"tables.{BlocksTable}[{retained.Row}].{RetainColumn}";
        if (service.Retain is null)
        {
            found.Add(new ProgramProblem(path, $"{retained.FullName} is retained, but the service has no retain store", "a retain section in the service's manifest (retain: {path: <directory>})"));
        }
        else if (BlockNetworkRetain.RecordBytes(network.Retained) is var needed && needed > service.Retain.BytesMax)
        {
            found.Add(new ProgramProblem(path, $"the retained values take {needed} bytes, more than retain.bytesMax ({service.Retain.BytesMax})", $"retain.bytesMax of at least {needed}"));
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
        private readonly List<NetworkValue> settable = [];
        private readonly List<NetworkValue> retained = [];

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
            return (new ManifestBlockNetwork(spec, [.. pointInputs], pointOutputs.ToImmutable()) { Settable = [.. settable], Retained = [.. retained] }, []);
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
                if (column is NameColumn or TypeColumn or SettableColumn or RetainColumn)
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

            var instance = new BlockInstanceSpec(name, typeName, settings.ToImmutable(), wires.ToImmutable());
            ReadOperatorValues(index, row, instance, descriptor);
            return instance;
        }

        /// <summary>The row's settable and retain columns: names of its literal-fed inputs, and of those and its state.</summary>
        private void ReadOperatorValues(int index, ProgramParameters row, BlockInstanceSpec instance, BlockDescriptor descriptor)
        {
            var subject = $"block '{instance.Name}' ({descriptor.TypeName})";
            var settableHere = new List<NetworkValue>();
            var path = $"tables.{BlocksTable}[{index}].{SettableColumn}";
            foreach (var name in Names(row, SettableColumn))
            {
                var pin = descriptor.InputIndex(name);
                var parameterIndex = descriptor.ParameterIndex(name);
                if (pin < 0 && parameterIndex >= 0)
                {
                    var parameter = descriptor.Parameters[parameterIndex];
                    if (!parameter.Tunable)
                    {
                        problems.Add(new ProgramProblem(path, $"{subject}: parameter {parameter.Name} shapes the block rather than tunes it, so only the manifest sets it", $"its tuning parameters: {TuningNames(descriptor)}"));
                    }
                    else if (settableHere.Any(v => v.Name == parameter.Name))
                    {
                        problems.Add(new ProgramProblem(path, $"{subject}: {parameter.Name} is listed twice", "each name once"));
                    }
                    else
                    {
                        settableHere.Add(new NetworkValue(instance.Name, parameter.Name, NetworkValueKind.Parameter, parameter.Type, index));
                    }

                    continue;
                }

                if (pin < 0)
                {
                    var what = descriptor.OutputIndex(name) >= 0 ? $"{name} is an output" : $"it has no input or parameter '{name}'";
                    problems.Add(new ProgramProblem(path, $"{subject}: {what}; settable names its inputs that take a literal and its tuning parameters", $"its inputs: {BlockDescriptor.Names(descriptor.Inputs)}; its tuning parameters: {TuningNames(descriptor)}"));
                    continue;
                }

                var input = descriptor.Inputs[pin];
                var wire = instance.Inputs.FirstOrDefault(w => string.Equals(w.Pin, input.Name, StringComparison.OrdinalIgnoreCase));
                if (wire.Pin is not null && wire.Source.Kind != WireSourceKind.Constant)
                {
                    problems.Add(new ProgramProblem(path, $"{subject}: input {input.Name} is wired to {wire.Source}, so the network, not an operator, sets it", $"a literal for {input.Name} (such as its starting value), or leave it out of settable"));
                    continue;
                }

                if (settableHere.Any(v => v.Name == input.Name))
                {
                    problems.Add(new ProgramProblem(path, $"{subject}: {input.Name} is listed twice", "each name once"));
                    continue;
                }

                settableHere.Add(new NetworkValue(instance.Name, input.Name, NetworkValueKind.Input, input.Type, index));
            }

            settable.AddRange(settableHere);
            path = $"tables.{BlocksTable}[{index}].{RetainColumn}";
            foreach (var name in Names(row, RetainColumn))
            {
                var state = descriptor.StateIndex(name);
                var value = state >= 0
                    ? new NetworkValue(instance.Name, descriptor.State[state].Name, NetworkValueKind.State, descriptor.State[state].Type, index)
                    : settableHere.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));
                if (value is null)
                {
                    var states = descriptor.State.IsEmpty ? "it has no state to retain" : $"its state: {BlockDescriptor.Names(descriptor.State)}";
                    var what = descriptor.InputIndex(name) >= 0 ? $"input {name} is not settable, and only what an operator can change needs retaining (list it under settable too)"
                        : descriptor.ParameterIndex(name) >= 0 ? $"parameter {name} is not settable, and only what an operator can change needs retaining (list it under settable too)"
                        : $"it has no state, settable input or settable parameter '{name}'";
                    problems.Add(new ProgramProblem(path, $"{subject}: {what}", $"{states}; its settable inputs and parameters: {(settableHere.Count == 0 ? "none" : string.Join(", ", settableHere.Select(v => v.Name)))}"));
                }
                else if (retained.Any(v => v.Block == value.Block && v.Name == value.Name))
                {
                    problems.Add(new ProgramProblem(path, $"{subject}: {value.Name} is listed twice", "each name once"));
                }
                else
                {
                    retained.Add(value);
                }
            }
        }

        private static string TuningNames(BlockDescriptor descriptor) =>
            descriptor.Parameters.Any(p => p.Tunable) ? string.Join(", ", descriptor.Parameters.Where(p => p.Tunable).Select(p => p.Name)) : "none";

        /// <summary>The names a list column gives, split at commas and spaces.</summary>
        private static string[] Names(ProgramParameters row, string column) =>
            row.All.TryGetValue(column, out var value)
                ? value.Text.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];

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
