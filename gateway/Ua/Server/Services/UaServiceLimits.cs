namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The operation limits of the view, attribute and method services, in one record: the services
/// enforce them (BadTooManyOperations) and ServerCapabilities reports them, from the same values.
/// </summary>
public sealed record UaServiceLimits
{
    public static UaServiceLimits Default { get; } = new();

    public uint MaxNodesPerRead { get; init; } = 10_000;

    public uint MaxNodesPerWrite { get; init; } = 1_000;

    public uint MaxNodesPerBrowse { get; init; } = 1_000;

    public uint MaxNodesPerMethodCall { get; init; } = 100;

    public uint MaxNodesPerTranslateBrowsePathsToNodeIds { get; init; } = 1_000;

    public uint MaxNodesPerRegisterNodes { get; init; } = 1_000;

    /// <summary>The most references one BrowseResult carries; a client asking for more (or for 0, no limit) gets a continuation point.</summary>
    public uint MaxReferencesPerNode { get; init; } = 1_000;

    /// <summary>Browse continuation points a session holds at once; beyond that Browse answers BadNoContinuationPoints.</summary>
    public ushort MaxBrowseContinuationPoints { get; init; } = 16;

    /// <summary>Nodes a session keeps registered; RegisterNodes beyond it still answers the ids (registering is a hint).</summary>
    public int RegisteredNodesPerSessionMax { get; init; } = 10_000;

    /// <summary>Call requests of one session waiting for a method result; a further Call answers BadTooManyOperations.</summary>
    public int CallsOutstandingPerSessionMax { get; init; } = 4;

    /// <summary>Write requests of one session waiting for a value's completion; a further Write answers BadTooManyOperations.</summary>
    public int WritesOutstandingPerSessionMax { get; init; } = 4;

    /// <summary>Reported in ServerCapabilities (the codec's limits enforce them on the wire).</summary>
    public uint MaxArrayLength { get; init; } = 100_000;

    public uint MaxStringLength { get; init; } = 65_535;

    public uint MaxByteStringLength { get; init; } = 1 << 20;

    /// <summary>The fastest sampling the subscriptions offer, in milliseconds (ServerCapabilities.MinSupportedSampleRate).</summary>
    public double MinSupportedSampleRateMs { get; init; } = 50;

    /// <summary>Checks the record once at start: a zero limit would refuse every request.</summary>
    public void Validate()
    {
        Require(MaxNodesPerRead, nameof(MaxNodesPerRead));
        Require(MaxNodesPerWrite, nameof(MaxNodesPerWrite));
        Require(MaxNodesPerBrowse, nameof(MaxNodesPerBrowse));
        Require(MaxNodesPerMethodCall, nameof(MaxNodesPerMethodCall));
        Require(MaxNodesPerTranslateBrowsePathsToNodeIds, nameof(MaxNodesPerTranslateBrowsePathsToNodeIds));
        Require(MaxNodesPerRegisterNodes, nameof(MaxNodesPerRegisterNodes));
        Require(MaxReferencesPerNode, nameof(MaxReferencesPerNode));
        Require(MaxBrowseContinuationPoints, nameof(MaxBrowseContinuationPoints));
        Require((uint)Math.Max(0, CallsOutstandingPerSessionMax), nameof(CallsOutstandingPerSessionMax));
        Require((uint)Math.Max(0, WritesOutstandingPerSessionMax), nameof(WritesOutstandingPerSessionMax));
    }

    private static void Require(uint value, string name)
    {
        if (value == 0)
        {
            throw new ArgumentException($"the service limit {name} is 0, which would refuse every request; give it at least 1");
        }
    }
}
