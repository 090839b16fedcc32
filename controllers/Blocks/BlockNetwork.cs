using System.Collections.Immutable;
using System.Diagnostics;

namespace Neokernel.Controllers.Blocks;

/// <summary>An external input or output of a network: the slot of its type's array in <see cref="BlockNetwork.Values"/>.</summary>
public readonly record struct NetworkPort(string Name, BlockValueType Type, int Slot);

/// <summary>A feedback input's slot (<see cref="To"/>) and the output slot it is refreshed from after each cycle.</summary>
internal readonly record struct FeedbackCopy(BlockValueType Type, int From, int To);

/// <summary>
/// A built block network, ready to run. Each cycle the hosting service writes its inputs' slots,
/// calls <see cref="Evaluate"/>, and reads its outputs' slots. A cycle first has every delay block
/// publish its state, then evaluates the other blocks in dependency order, then lets the delay
/// blocks take in their inputs, then refreshes the feedback inputs (<see cref="PinDescriptor.Feedback"/>)
/// from the outputs they are wired to: one virtual call per block, no allocation.
/// </summary>
public sealed class BlockNetwork
{
    private readonly Block[] evaluationOrder;
    private readonly Block[] delays;
    private readonly FeedbackCopy[] feedbacks;

    internal BlockNetwork(BlockValues values, ImmutableArray<Block> blocks, Block[] evaluationOrder, ImmutableArray<NetworkPort> inputs, ImmutableArray<NetworkPort> outputs, FeedbackCopy[] feedbacks)
    {
        this.feedbacks = feedbacks;
        Values = values;
        Blocks = blocks;
        this.evaluationOrder = evaluationOrder;
        delays = [.. blocks.Where(b => b.Descriptor.IsDelay)];
        Debug.Assert(evaluationOrder.Length + delays.Length == blocks.Length, "every block is evaluated once: in the order or as a delay");
        Debug.Assert(evaluationOrder.All(b => !b.Descriptor.IsDelay), "delay blocks are not in the dependency order");
        Inputs = inputs;
        Outputs = outputs;
    }

    public BlockValues Values { get; }

    /// <summary>The blocks in the order the spec listed them.</summary>
    public ImmutableArray<Block> Blocks { get; }

    /// <summary>The non-delay blocks in the order each cycle evaluates them.</summary>
    public ImmutableArray<Block> EvaluationOrder => [.. evaluationOrder];

    public ImmutableArray<NetworkPort> Inputs { get; }

    public ImmutableArray<NetworkPort> Outputs { get; }

    public NetworkPort Input(string name) => Find(Inputs, name, "input");

    public NetworkPort Output(string name) => Find(Outputs, name, "output");

    public Block Block(string name) => Blocks.FirstOrDefault(b => b.Name == name) ?? throw new KeyNotFoundException($"the network has no block '{name}'");

    /// <summary>One cycle of <paramref name="dtNanoseconds"/> (the time since the cycle before; 0 in the first).</summary>
    public void Evaluate(long dtNanoseconds)
    {
        if (dtNanoseconds < 0)
        {
            ThrowNegativeDt(dtNanoseconds);
        }

        var values = Values;
        foreach (var delay in delays)
        {
            delay.Publish(values);
        }

        foreach (var block in evaluationOrder)
        {
            block.Evaluate(values, dtNanoseconds);
        }

        foreach (var delay in delays)
        {
            delay.Evaluate(values, dtNanoseconds);
        }

        foreach (var feedback in feedbacks)
        {
            values.Copy(feedback);
        }
    }

    private static void ThrowNegativeDt(long dtNanoseconds) =>
        throw new ArgumentOutOfRangeException(nameof(dtNanoseconds), dtNanoseconds, "a cycle's dt is zero or positive");

    private static NetworkPort Find(ImmutableArray<NetworkPort> ports, string name, string what)
    {
        foreach (var port in ports)
        {
            if (port.Name == name)
            {
                return port;
            }
        }

        throw new KeyNotFoundException($"the network has no {what} '{name}'");
    }
}
