namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The View service set (Part 4 §5.9): Browse, BrowseNext, TranslateBrowsePathsToNodeIds,
/// RegisterNodes and UnregisterNodes over an <see cref="AddressSpace"/>. One method per service:
/// decoded request and context in, response out.
/// </summary>
public sealed class ViewServices(AddressSpace space, UaServiceLimits limits)
{
    // ResultMask bits (Part 4 §5.9.2.2).
    private const uint ResultReferenceType = 0x01;
    private const uint ResultIsForward = 0x02;
    private const uint ResultNodeClass = 0x04;
    private const uint ResultBrowseName = 0x08;
    private const uint ResultDisplayName = 0x10;
    private const uint ResultTypeDefinition = 0x20;

    public BrowseResponse Browse(BrowseRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nodesToBrowse = request.NodesToBrowse ?? [];
        var status = ServiceResults.CheckCount(nodesToBrowse.Length, limits.MaxNodesPerBrowse);
        if (status.IsGood && !request.View.ViewId.IsNull)
        {
            status = StatusCodes.BadViewIdUnknown;
        }

        var response = new BrowseResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            return response;
        }

        var maxReferences = request.RequestedMaxReferencesPerNode == 0
            ? limits.MaxReferencesPerNode
            : Math.Min(request.RequestedMaxReferencesPerNode, limits.MaxReferencesPerNode);
        var results = new BrowseResult[nodesToBrowse.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = BrowseOne(nodesToBrowse[i], maxReferences, context.Session);
        }

        response.Results = results;
        return response;
    }

    public BrowseNextResponse BrowseNext(BrowseNextRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var points = request.ContinuationPoints ?? [];
        var status = ServiceResults.CheckCount(points.Length, limits.MaxNodesPerBrowse);
        var response = new BrowseNextResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            return response;
        }

        var results = new BrowseResult[points.Length];
        for (var i = 0; i < results.Length; i++)
        {
            var continuation = context.Session.TakeContinuation(points[i]);
            results[i] = continuation is null ? new BrowseResult { StatusCode = StatusCodes.BadContinuationPointInvalid }
                : request.ReleaseContinuationPoints ? new BrowseResult()
                : Continue(continuation.Node, continuation.Filter, continuation.NextReference, context.Session);
        }

        response.Results = results;
        return response;
    }

    public TranslateBrowsePathsToNodeIdsResponse TranslateBrowsePathsToNodeIds(TranslateBrowsePathsToNodeIdsRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var paths = request.BrowsePaths ?? [];
        var status = ServiceResults.CheckCount(paths.Length, limits.MaxNodesPerTranslateBrowsePathsToNodeIds);
        var response = new TranslateBrowsePathsToNodeIdsResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            return response;
        }

        var results = new BrowsePathResult[paths.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = new BrowsePathTranslator(space).Translate(paths[i]);
        }

        response.Results = results;
        return response;
    }

    /// <summary>Registering is a hint to go fast; every node here is as fast as a registered one, so the ids come back as they are.</summary>
    public RegisterNodesResponse RegisterNodes(RegisterNodesRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nodeIds = request.NodesToRegister ?? [];
        var status = ServiceResults.CheckCount(nodeIds.Length, limits.MaxNodesPerRegisterNodes);
        var response = new RegisterNodesResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            return response;
        }

        foreach (var nodeId in nodeIds)
        {
            context.Session.Register(nodeId);
        }

        response.RegisteredNodeIds = nodeIds;
        return response;
    }

    public UnregisterNodesResponse UnregisterNodes(UnregisterNodesRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nodeIds = request.NodesToUnregister ?? [];
        var status = ServiceResults.CheckCount(nodeIds.Length, limits.MaxNodesPerRegisterNodes);
        if (status.IsGood)
        {
            foreach (var nodeId in nodeIds)
            {
                context.Session.Unregister(nodeId);
            }
        }

        return new UnregisterNodesResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
    }

    private BrowseResult BrowseOne(BrowseDescription description, uint maxReferences, SessionViewState session)
    {
        if (!space.TryGetNode(description.NodeId, out var node))
        {
            return new BrowseResult { StatusCode = StatusCodes.BadNodeIdUnknown };
        }

        if (description.BrowseDirection is < BrowseDirection.Forward or > BrowseDirection.Both)
        {
            return new BrowseResult { StatusCode = StatusCodes.BadBrowseDirectionInvalid };
        }

        UaReferenceTypeNode? referenceType = null;
        if (!description.ReferenceTypeId.IsNull && (referenceType = space.FindReferenceType(description.ReferenceTypeId)) is null)
        {
            return new BrowseResult { StatusCode = StatusCodes.BadReferenceTypeIdInvalid };
        }

        var filter = new BrowseFilter(
            description.BrowseDirection, referenceType, description.IncludeSubtypes, description.NodeClassMask, description.ResultMask, maxReferences);
        return Continue(node, filter, 0, session);
    }

    /// <summary>The references of <paramref name="node"/> from index <paramref name="start"/> that pass the filter, up to its maximum, with a continuation point when more remain.</summary>
    private static BrowseResult Continue(UaNode node, BrowseFilter filter, int start, SessionViewState session)
    {
        var references = node.References;
        var count = 0;
        var next = start;
        while (next < references.Length && count < filter.MaxReferences)
        {
            if (Matches(references[next], filter))
            {
                count++;
            }

            next++;
        }

        var more = false;
        for (var i = next; i < references.Length && !more; i++)
        {
            more = Matches(references[i], filter);
        }

        var result = new BrowseResult { References = Describe(references, start, next, count, filter) };
        if (more)
        {
            result.ContinuationPoint = session.AddContinuation(new BrowseContinuation(node, filter, next));
            if (result.ContinuationPoint is null)
            {
                return new BrowseResult { StatusCode = StatusCodes.BadNoContinuationPoints };
            }
        }

        return result;
    }

    private static ReferenceDescription[] Describe(ReadOnlySpan<UaReference> references, int start, int end, int count, in BrowseFilter filter)
    {
        var descriptions = new ReferenceDescription[count];
        var written = 0;
        for (var i = start; i < end; i++)
        {
            if (Matches(references[i], filter))
            {
                descriptions[written++] = Describe(references[i], filter.ResultMask);
            }
        }

        return descriptions;
    }

    private static bool Matches(in UaReference reference, in BrowseFilter filter)
    {
        if (filter.Direction != BrowseDirection.Both && reference.IsForward != (filter.Direction == BrowseDirection.Forward))
        {
            return false;
        }

        if (filter.ReferenceType is { } wanted
            && !(filter.IncludeSubtypes ? wanted.Includes(reference.ReferenceType) : ReferenceEquals(wanted, reference.ReferenceType)))
        {
            return false;
        }

        return filter.NodeClassMask == 0 || (filter.NodeClassMask & (uint)reference.Target.NodeClass) != 0;
    }

    private static ReferenceDescription Describe(in UaReference reference, uint resultMask)
    {
        var target = reference.Target;
        var description = new ReferenceDescription { NodeId = target.NodeId };
        if ((resultMask & ResultReferenceType) != 0)
        {
            description.ReferenceTypeId = reference.ReferenceType.NodeId;
        }

        if ((resultMask & ResultIsForward) != 0)
        {
            description.IsForward = reference.IsForward;
        }

        if ((resultMask & ResultNodeClass) != 0)
        {
            description.NodeClass = target.NodeClass;
        }

        if ((resultMask & ResultBrowseName) != 0)
        {
            description.BrowseName = target.BrowseName;
        }

        if ((resultMask & ResultDisplayName) != 0)
        {
            description.DisplayName = target.DisplayName;
        }

        if ((resultMask & ResultTypeDefinition) != 0 && target.NodeClass is NodeClass.Object or NodeClass.Variable && target.TypeDefinition is { } type)
        {
            description.TypeDefinition = type.NodeId;
        }

        return description;
    }
}
