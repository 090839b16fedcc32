using Neokernel.Controllers.Blocks;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>The data plane allocates nothing: each block's cycle, and a 50-block network's, over 10,000 cycles.</summary>
public sealed class BlockAllocationTests
{
    private const int Cycles = 10_000;

    public static TheoryData<string> TypeNames => [.. BlockCatalog.Descriptors.Select(d => d.TypeName)];

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Block_cycle_allocates_nothing(string typeName)
    {
        var block = BlockHarness.Of(typeName);
        var network = block.Network;
        var values = network.Values;
        var ports = network.Inputs.ToArray();
        AllocationAssert.NoAllocations(Cycles, i =>
        {
            // Inputs that move every cycle, so that timers expire, counters count, alarms raise and clear.
            foreach (var port in ports)
            {
                switch (port.Type)
                {
                    case BlockValueType.Bool: values.Bools[port.Slot] = (i / (1 + port.Slot)) % 3 == 0; break;
                    case BlockValueType.Real: values.Reals[port.Slot] = (i % 200) - 50.0; break;
                    case BlockValueType.Dint: values.Dints[port.Slot] = i % 7; break;
                    default: values.Times[port.Slot] = (i % 5) * 10 * BlockHarness.Millisecond; break;
                }
            }

            network.Evaluate(10 * BlockHarness.Millisecond);
        });
    }

    [Fact]
    public void Fifty_block_network_cycle_allocates_nothing()
    {
        var result = BlockNetworkBuilder.Build(RandomNetworks.Create(seed: 50, blockCount: 50, allowMistakes: false));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var network = result.Network!;
        Assert.Equal(50, network.Blocks.Length);
        Assert.True(network.Blocks.Select(b => b.Descriptor.TypeName).Distinct().Count() >= 12, "the network mixes most block types");
        var reals = network.Inputs.Where(p => p.Type == BlockValueType.Real).Select(p => p.Slot).ToArray();
        var bools = network.Inputs.Where(p => p.Type == BlockValueType.Bool).Select(p => p.Slot).ToArray();
        var values = network.Values;
        AllocationAssert.NoAllocations(Cycles, i =>
        {
            foreach (var slot in reals)
            {
                values.Reals[slot] = (i % 300) * 0.5;
            }

            foreach (var slot in bools)
            {
                values.Bools[slot] = i % 4 < 2;
            }

            network.Evaluate(BlockHarness.Millisecond);
        });
    }
}
