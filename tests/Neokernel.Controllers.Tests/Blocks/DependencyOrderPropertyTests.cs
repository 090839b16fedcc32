using FsCheck;
using FsCheck.Fluent;
using Neokernel.Controllers.Blocks;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>
/// The builder's loop check and order against a naive model: random graphs of SR blocks, each
/// input wired to any block's Q1 (itself too) or to a constant. A spec is refused for a loop
/// exactly when some block reaches itself, each block an error names lies on a loop, and an
/// accepted spec evaluates every block after the blocks it reads.
/// </summary>
public sealed class DependencyOrderPropertyTests
{
    [Fact]
    public void Loops_are_found_exactly_and_the_order_respects_every_wire()
    {
        var graphs =
            from size in Gen.Choose(1, 12)
            from wires in Gen.ArrayOf(Gen.Choose(-1, size - 1), size * 2)
            select (Size: size, Wires: wires);
        Prop.ForAll(graphs.ToArbitrary(), g =>
        {
            var blocks = Enumerable.Range(0, g.Size).Select(i => new BlockInstanceSpec(
                $"sr{i}",
                "SR",
                [],
                [Wire("S1", g.Wires[2 * i]), Wire("R", g.Wires[(2 * i) + 1])]));
            var result = BlockNetworkBuilder.Build(new BlockNetworkSpec([.. blocks], [], []));
            var edges = Enumerable.Range(0, g.Size).SelectMany(i => new[] { (From: g.Wires[2 * i], To: i), (From: g.Wires[(2 * i) + 1], To: i) }).Where(e => e.From >= 0).ToList();
            var hasLoop = Enumerable.Range(0, g.Size).Any(start => Reaches(edges, start, start));
            if (hasLoop)
            {
                var named = result.Errors.Select(e => int.Parse(e.BlockName!.AsSpan("sr".Length), provider: null));
                return !result.Succeeded && result.Errors.All(e => e.Kind == BlockNetworkErrorKind.AlgebraicLoop) && named.All(i => Reaches(edges, i, i));
            }

            var position = result.Network!.EvaluationOrder.Select((b, index) => (b.Name, index)).ToDictionary(p => p.Name, p => p.index);
            return position.Count == g.Size && edges.All(e => position[$"sr{e.From}"] < position[$"sr{e.To}"]);
        }).QuickCheckThrowOnFailure();
    }

    private static InputWire Wire(string pin, int source) =>
        new(pin, source < 0 ? WireSource.Value(BlockValue.Bool(true)) : WireSource.Output($"sr{source}", "Q1"));

    /// <summary>Whether a path of one or more wires leads from <paramref name="from"/> to <paramref name="to"/>.</summary>
    private static bool Reaches(List<(int From, int To)> edges, int from, int to)
    {
        var seen = new HashSet<int>();
        var frontier = new Stack<int>([from]);
        while (frontier.TryPop(out var node))
        {
            foreach (var (_, next) in edges.Where(e => e.From == node))
            {
                if (next == to)
                {
                    return true;
                }

                if (seen.Add(next))
                {
                    frontier.Push(next);
                }
            }
        }

        return false;
    }
}
