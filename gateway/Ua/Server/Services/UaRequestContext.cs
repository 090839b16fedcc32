namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// What a service call knows besides its request: the session's user role, the session's view
/// state, and the server's time (UA DateTime ticks) for timestamps and ServerStatus.CurrentTime.
/// </summary>
public readonly record struct UaRequestContext(UserRole Role, SessionViewState Session, long NowTicks);

/// <summary>
/// The per-session state of the view and method services: Browse continuation points (at most the
/// limit, each the rest of one node's references), registered nodes, and how many Calls wait for a
/// method result and Writes for a value's. Owned by the session; used on the event loop only.
/// </summary>
public sealed class SessionViewState(UaServiceLimits limits)
{
    private readonly List<BrowseContinuation> continuations = new(limits.MaxBrowseContinuationPoints);
    private readonly HashSet<NodeId> registered = [];
    private ulong nextContinuationId;

    public UaServiceLimits Limits { get; } = limits;

    public int ContinuationPointCount => continuations.Count;

    public int RegisteredNodeCount => registered.Count;

    /// <summary>Calls of this session whose methods have not all completed.</summary>
    public int CallsOutstanding { get; internal set; }

    /// <summary>Writes of this session whose values have not all completed (a setpoint the loop has not answered yet).</summary>
    public int WritesOutstanding { get; internal set; }

    /// <summary>Forgets every continuation point and registered node (the session closes).</summary>
    public void Clear()
    {
        continuations.Clear();
        registered.Clear();
    }

    /// <summary>A new continuation point for <paramref name="continuation"/>, or null when the session holds the limit.</summary>
    internal byte[]? AddContinuation(BrowseContinuation continuation)
    {
        if (continuations.Count >= Limits.MaxBrowseContinuationPoints)
        {
            return null;
        }

        continuation.Id = BitConverter.GetBytes(++nextContinuationId);
        continuations.Add(continuation);
        return continuation.Id;
    }

    /// <summary>Takes (removes) the continuation point <paramref name="id"/>; null when the session has no such point.</summary>
    internal BrowseContinuation? TakeContinuation(byte[]? id)
    {
        if (id is null)
        {
            return null;
        }

        for (var i = 0; i < continuations.Count; i++)
        {
            if (continuations[i].Id.AsSpan().SequenceEqual(id))
            {
                var found = continuations[i];
                continuations.RemoveAt(i);
                return found;
            }
        }

        return null;
    }

    internal void Register(NodeId nodeId)
    {
        if (registered.Count < Limits.RegisteredNodesPerSessionMax)
        {
            registered.Add(nodeId);
        }
    }

    internal void Unregister(NodeId nodeId) => registered.Remove(nodeId);

    public bool IsRegistered(NodeId nodeId) => registered.Contains(nodeId);
}

/// <summary>Where a Browse stopped: the node, the filter, and the index of the next reference to look at.</summary>
internal sealed class BrowseContinuation(UaNode node, BrowseFilter filter, int nextReference)
{
    public byte[] Id { get; set; } = [];

    public UaNode Node { get; } = node;

    public BrowseFilter Filter { get; } = filter;

    public int NextReference { get; set; } = nextReference;
}

/// <summary>A BrowseDescription checked and resolved: what references to return and which of their fields.</summary>
internal readonly record struct BrowseFilter(
    BrowseDirection Direction, UaReferenceTypeNode? ReferenceType, bool IncludeSubtypes, uint NodeClassMask, uint ResultMask, uint MaxReferences);
