namespace Neokernel.Controllers.Blocks;

/// <summary>
/// The blocks of a network as a graph, an edge from each block to the blocks that read one of
/// its outputs. A delay block's outputs come from earlier cycles, so no edge leaves it: a cycle
/// that runs through one is no loop here, and delay blocks take no place in the order.
/// </summary>
internal sealed class DependencyGraph
{
    private readonly List<int>[] consumers;
    private readonly bool[] isDelay;

    public DependencyGraph(List<int>[] consumers, bool[] isDelay)
    {
        this.consumers = consumers;
        this.isDelay = isDelay;
    }

    /// <summary>One cycle for each strongly connected set of blocks that holds one (Tarjan), each as the blocks along it.</summary>
    public List<int[]> AlgebraicLoops()
    {
        var tarjan = new Tarjan(consumers);
        var loops = new List<int[]>();
        foreach (var component in tarjan.Components())
        {
            var start = component.Min();
            if (component.Count > 1 || consumers[start].Contains(start))
            {
                loops.Add(CycleThrough(start, component));
            }
        }

        loops.Sort((a, b) => a[0].CompareTo(b[0]));
        return loops;
    }

    /// <summary>The non-delay blocks, each after every block it reads from; among ready blocks the lowest index first (Kahn).</summary>
    public List<int> TopologicalOrder()
    {
        var incoming = new int[consumers.Length];
        foreach (var list in consumers)
        {
            foreach (var consumer in list)
            {
                incoming[consumer]++;
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < incoming.Length; i++)
        {
            if (incoming[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new List<int>(consumers.Length);
        while (ready.TryDequeue(out var block, out _))
        {
            if (!isDelay[block])
            {
                order.Add(block);
            }

            foreach (var consumer in consumers[block])
            {
                if (--incoming[consumer] == 0)
                {
                    ready.Enqueue(consumer, consumer);
                }
            }
        }

        return order;
    }

    /// <summary>A shortest cycle from <paramref name="start"/> back to it inside <paramref name="component"/> (breadth first).</summary>
    private int[] CycleThrough(int start, HashSet<int> component)
    {
        var parent = new Dictionary<int, int>();
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.TryDequeue(out var block))
        {
            foreach (var consumer in consumers[block])
            {
                if (consumer == start)
                {
                    var path = new List<int> { block };
                    while (path[^1] != start)
                    {
                        path.Add(parent[path[^1]]);
                    }

                    path.Reverse();
                    return [.. path];
                }

                if (component.Contains(consumer) && parent.TryAdd(consumer, block))
                {
                    queue.Enqueue(consumer);
                }
            }
        }

        throw new InvalidOperationException("a strongly connected component always holds a cycle through each of its blocks");
    }

    /// <summary>Tarjan's strongly connected components, iterative so that a long chain cannot overflow the stack.</summary>
    private sealed class Tarjan(List<int>[] edges)
    {
        private readonly int[] index = Enumerable.Repeat(-1, edges.Length).ToArray();
        private readonly int[] lowLink = new int[edges.Length];
        private readonly bool[] onStack = new bool[edges.Length];
        private readonly Stack<int> stack = new();
        private readonly List<HashSet<int>> components = [];
        private int nextIndex;

        public List<HashSet<int>> Components()
        {
            for (var v = 0; v < edges.Length; v++)
            {
                if (index[v] < 0)
                {
                    Visit(v);
                }
            }

            return components;
        }

        private void Visit(int root)
        {
            var work = new Stack<(int Node, int Edge)>();
            Enter(root);
            work.Push((root, 0));
            while (work.TryPop(out var frame))
            {
                var (node, edge) = frame;
                if (edge < edges[node].Count)
                {
                    work.Push((node, edge + 1));
                    var next = edges[node][edge];
                    if (index[next] < 0)
                    {
                        Enter(next);
                        work.Push((next, 0));
                    }
                    else if (onStack[next])
                    {
                        lowLink[node] = Math.Min(lowLink[node], index[next]);
                    }

                    continue;
                }

                if (work.TryPeek(out var caller))
                {
                    lowLink[caller.Node] = Math.Min(lowLink[caller.Node], lowLink[node]);
                }

                if (lowLink[node] == index[node])
                {
                    PopComponent(node);
                }
            }
        }

        private void Enter(int node)
        {
            index[node] = lowLink[node] = nextIndex++;
            stack.Push(node);
            onStack[node] = true;
        }

        private void PopComponent(int root)
        {
            var component = new HashSet<int>();
            int member;
            do
            {
                member = stack.Pop();
                onStack[member] = false;
                component.Add(member);
            }
            while (member != root);
            components.Add(component);
        }
    }
}
