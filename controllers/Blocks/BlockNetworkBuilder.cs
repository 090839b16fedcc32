using System.Collections.Immutable;

namespace Neokernel.Controllers.Blocks;

/// <summary>What <see cref="BlockNetworkBuilder.Build"/> gives: the network, or every error found (never both).</summary>
public sealed record BlockNetworkBuildResult(BlockNetwork? Network, ImmutableArray<BlockNetworkError> Errors)
{
    public bool Succeeded => Network is not null;
}

/// <summary>
/// Checks a <see cref="BlockNetworkSpec"/> and builds it (control plane; it allocates). Every
/// check reports a structured <see cref="BlockNetworkError"/> instead of throwing, and it goes on
/// after an error to find the others: unknown block types, blocks, pins, parameters and external
/// inputs; duplicate names and wires; parameters out of range; type mismatches (no implicit
/// conversions, as in IEC 61131-3); and algebraic loops, that is cycles of wires that pass through
/// no delay block. Then it assigns slots (a wire is one slot shared by both ends) and orders the
/// blocks by their dependencies, breaking ties by the spec's order.
/// </summary>
public static class BlockNetworkBuilder
{
    /// <summary>The errors of <paramref name="spec"/>; empty when it builds.</summary>
    public static ImmutableArray<BlockNetworkError> Validate(BlockNetworkSpec spec) => Build(spec).Errors;

    public static BlockNetworkBuildResult Build(BlockNetworkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var build = new Construction(new BlockNetworkSpec(OrEmpty(spec.Blocks), OrEmpty(spec.Inputs), OrEmpty(spec.Outputs)));
        build.Run();
        return build.Errors.Count > 0
            ? new BlockNetworkBuildResult(null, [.. build.Errors])
            : new BlockNetworkBuildResult(build.CreateNetwork(), []);
    }

    private static ImmutableArray<T> OrEmpty<T>(ImmutableArray<T> items) => items.IsDefault ? [] : items;

    /// <summary>A source resolved to its slot; <see cref="Producer"/> is the block whose output it is, or −1.</summary>
    private readonly record struct Resolved(BlockValueType Type, int Slot, int Producer);

    private sealed class Construction(BlockNetworkSpec spec)
    {
        private readonly Dictionary<string, NetworkPort> inputsByName = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> blocksByName = new(StringComparer.Ordinal);
        private readonly BlockDescriptor?[] descriptors = new BlockDescriptor?[spec.Blocks.Length];
        private readonly Block?[] blocks = new Block?[spec.Blocks.Length];
        private readonly int[][] outputSlots = new int[spec.Blocks.Length][];
        private readonly int[][] inputSlots = new int[spec.Blocks.Length][];
        private readonly List<int>[] consumers = [.. spec.Blocks.Select(_ => new List<int>())];
        private readonly List<(int Slot, BlockValue Value)> initialValues = [];
        private readonly List<NetworkPort> inputs = [];
        private readonly List<NetworkPort> outputs = [];
        private readonly List<FeedbackCopy> feedbacks = [];
        private readonly int[] slotCounts = new int[4];
        private Block[] order = [];

        public List<BlockNetworkError> Errors { get; } = [];

        public void Run()
        {
            if (!CheckSizes())
            {
                return;
            }

            AddInputs();
            AddBlocks();
            for (var i = 0; i < spec.Blocks.Length; i++)
            {
                WireBlock(i);
            }

            AddOutputs();
            if (Errors.Count == 0)
            {
                Order();
            }
        }

        public BlockNetwork CreateNetwork()
        {
            var values = new BlockValues(slotCounts[0], slotCounts[1], slotCounts[2], slotCounts[3]);
            foreach (var (slot, value) in initialValues)
            {
                values.Set(slot, value);
            }

            for (var i = 0; i < blocks.Length; i++)
            {
                blocks[i]!.Bind(inputSlots[i], outputSlots[i]);
            }

            var copies = feedbacks.ToArray();
            foreach (var copy in copies)
            {
                values.Copy(copy);
            }

            return new BlockNetwork(values, [.. blocks.Select(b => b!)], order, [.. inputs], [.. outputs], copies);
        }

        private bool CheckSizes()
        {
            if (spec.Blocks.Length > BlockLimits.BlocksMax)
            {
                Errors.Add(new(BlockNetworkErrorKind.TooMany, null, null, null, $"the network has {spec.Blocks.Length} blocks, at most {BlockLimits.BlocksMax} are allowed"));
            }

            if (spec.Inputs.Length > BlockLimits.ExternalsMax || spec.Outputs.Length > BlockLimits.ExternalsMax)
            {
                Errors.Add(new(BlockNetworkErrorKind.TooMany, null, null, null,
                    $"the network has {spec.Inputs.Length} external inputs and {spec.Outputs.Length} outputs, at most {BlockLimits.ExternalsMax} of each are allowed"));
            }

            return Errors.Count == 0;
        }

        private int Allocate(BlockValueType type) => slotCounts[(int)type]++;

        private void AddInputs()
        {
            foreach (var input in spec.Inputs)
            {
                if (inputsByName.ContainsKey(input.Name))
                {
                    Errors.Add(new(BlockNetworkErrorKind.DuplicateName, null, null, input.Name, $"external input '{input.Name}' is declared twice"));
                    continue;
                }

                var port = new NetworkPort(input.Name, input.Type, Allocate(input.Type));
                inputsByName.Add(input.Name, port);
                inputs.Add(port);
            }
        }

        private void AddBlocks()
        {
            for (var i = 0; i < spec.Blocks.Length; i++)
            {
                var instance = spec.Blocks[i];
                if (string.IsNullOrWhiteSpace(instance.Name) || !blocksByName.TryAdd(instance.Name, i))
                {
                    var what = string.IsNullOrWhiteSpace(instance.Name) ? "has no name" : "is declared twice";
                    Errors.Add(new(BlockNetworkErrorKind.DuplicateName, instance.Name, null, null, $"block '{instance.Name}' ({instance.TypeName}) {what}"));
                    continue;
                }

                if (!BlockCatalog.TryGet(instance.TypeName, out var descriptor))
                {
                    Errors.Add(new(BlockNetworkErrorKind.UnknownBlockType, instance.Name, null, null,
                        $"block '{instance.Name}': no block type '{instance.TypeName}' (the types: {BlockCatalog.TypeNames})"));
                    continue;
                }

                descriptors[i] = descriptor;
                outputSlots[i] = [.. descriptor.Outputs.Select(pin => Allocate(pin.Type))];
                for (var pin = 0; pin < descriptor.Outputs.Length; pin++)
                {
                    initialValues.Add((outputSlots[i][pin], descriptor.Outputs[pin].Default));
                }

                blocks[i] = CreateBlock(instance, descriptor);
            }
        }

        private Block? CreateBlock(BlockInstanceSpec instance, BlockDescriptor descriptor)
        {
            var parameters = BlockParameters.Resolve(descriptor, instance.Name, OrEmpty(instance.Parameters), Errors);
            if (parameters is null)
            {
                return null;
            }

            try
            {
                return BlockCatalog.Create(parameters);
            }
            catch (ArgumentException exception)
            {
                Errors.Add(new(BlockNetworkErrorKind.InvalidParameter, instance.Name, exception.ParamName, null, ArgumentMessages.WithoutParameter(exception)));
                return null;
            }
        }

        private void WireBlock(int index)
        {
            var descriptor = descriptors[index];
            if (descriptor is null)
            {
                return;
            }

            var instance = spec.Blocks[index];
            var slots = Enumerable.Repeat(-1, descriptor.Inputs.Length).ToArray();
            foreach (var wire in OrEmpty(instance.Inputs))
            {
                var pin = descriptor.InputIndex(wire.Pin);
                if (pin < 0)
                {
                    var hint = descriptor.OutputIndex(wire.Pin) >= 0 ? $"; {wire.Pin} is an output" : string.Empty;
                    Errors.Add(new(BlockNetworkErrorKind.UnknownPin, instance.Name, wire.Pin, null,
                        $"block '{instance.Name}' ({descriptor.TypeName}): no input '{wire.Pin}' (its inputs: {BlockDescriptor.Names(descriptor.Inputs)}){hint}"));
                    continue;
                }

                var pinDescriptor = descriptor.Inputs[pin];
                var subject = $"block '{instance.Name}' ({descriptor.TypeName}) input {pinDescriptor.Name}";
                if (slots[pin] != -1)
                {
                    Errors.Add(new(BlockNetworkErrorKind.DuplicateWire, instance.Name, pinDescriptor.Name, null, $"{subject} is wired twice"));
                    continue;
                }

                slots[pin] = -2;
                if (Resolve(wire.Source, subject, instance.Name, pinDescriptor.Name) is not { } source)
                {
                    continue;
                }

                if (source.Type != pinDescriptor.Type)
                {
                    Errors.Add(new(BlockNetworkErrorKind.TypeMismatch, instance.Name, pinDescriptor.Name, ExternalOf(wire.Source),
                        $"{subject} is {BlockValue.TypeName(pinDescriptor.Type)}, but {wire.Source} is {BlockValue.TypeName(source.Type)}"));
                    continue;
                }

                if (pinDescriptor.Feedback && source.Producer >= 0)
                {
                    // A slot of its own, refreshed from the output at the end of each cycle.
                    slots[pin] = Allocate(source.Type);
                    feedbacks.Add(new FeedbackCopy(source.Type, source.Slot, slots[pin]));
                    continue;
                }

                slots[pin] = source.Slot;
                if (source.Producer >= 0)
                {
                    consumers[source.Producer].Add(index);
                }
            }

            for (var pin = 0; pin < slots.Length; pin++)
            {
                if (slots[pin] == -1)
                {
                    slots[pin] = Constant(descriptor.Inputs[pin].Default);
                }
            }

            inputSlots[index] = slots;
        }

        private void AddOutputs()
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var output in spec.Outputs)
            {
                if (!names.Add(output.Name))
                {
                    Errors.Add(new(BlockNetworkErrorKind.DuplicateName, null, null, output.Name, $"external output '{output.Name}' is declared twice"));
                    continue;
                }

                if (Resolve(output.Source, $"external output '{output.Name}'", null, null, output.Name) is { } source)
                {
                    outputs.Add(new NetworkPort(output.Name, source.Type, source.Slot));
                }
            }
        }

        /// <summary>The slot of <paramref name="source"/>, or null after adding an error (or when its block is already reported).</summary>
        private Resolved? Resolve(WireSource source, string subject, string? blockName, string? pin, string? externalName = null)
        {
            switch (source.Kind)
            {
                case WireSourceKind.Constant:
                    return new Resolved(source.Constant.Type, Constant(source.Constant), -1);
                case WireSourceKind.External when inputsByName.TryGetValue(source.Name, out var port):
                    return new Resolved(port.Type, port.Slot, -1);
                case WireSourceKind.External:
                    Errors.Add(new(BlockNetworkErrorKind.UnknownExternalInput, blockName, pin, externalName ?? source.Name,
                        $"{subject}: no external input '{source.Name}' (the inputs: {(inputs.Count == 0 ? "none" : string.Join(", ", inputs.Select(p => p.Name)))})"));
                    return null;
                default:
                    return ResolveOutput(source, subject, blockName, pin, externalName);
            }
        }

        private Resolved? ResolveOutput(WireSource source, string subject, string? blockName, string? pin, string? externalName)
        {
            if (!blocksByName.TryGetValue(source.Name, out var producer))
            {
                Errors.Add(new(BlockNetworkErrorKind.UnknownBlock, blockName, pin, externalName, $"{subject}: no block '{source.Name}'"));
                return null;
            }

            if (descriptors[producer] is not { } descriptor)
            {
                return null;
            }

            var output = descriptor.OutputIndex(source.Pin);
            if (output < 0)
            {
                var hint = descriptor.InputIndex(source.Pin) >= 0 ? $"; {source.Pin} is an input" : string.Empty;
                Errors.Add(new(BlockNetworkErrorKind.UnknownPin, blockName, pin, externalName,
                    $"{subject}: block '{source.Name}' ({descriptor.TypeName}) has no output '{source.Pin}' (its outputs: {BlockDescriptor.Names(descriptor.Outputs)}){hint}"));
                return null;
            }

            return new Resolved(descriptor.Outputs[output].Type, outputSlots[producer][output], descriptor.IsDelay ? -1 : producer);
        }

        private int Constant(BlockValue value)
        {
            var slot = Allocate(value.Type);
            initialValues.Add((slot, value));
            return slot;
        }

        private static string? ExternalOf(WireSource source) => source.Kind == WireSourceKind.External ? source.Name : null;

        private void Order()
        {
            var graph = new DependencyGraph(consumers, [.. descriptors.Select(d => d!.IsDelay)]);
            foreach (var loop in graph.AlgebraicLoops())
            {
                var names = string.Join(" -> ", loop.Select(i => spec.Blocks[i].Name)) + " -> " + spec.Blocks[loop[0]].Name;
                Errors.Add(new(BlockNetworkErrorKind.AlgebraicLoop, spec.Blocks[loop[0]].Name, null, null,
                    $"algebraic loop without a delay block: {names} (put a DELAY block into the loop)"));
            }

            if (Errors.Count == 0)
            {
                order = [.. graph.TopologicalOrder().Select(i => blocks[i]!)];
            }
        }
    }
}
