namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The View service set (Part 4 §5.9): Browse, BrowseNext, TranslateBrowsePathsToNodeIds,
/// RegisterNodes and UnregisterNodes over an <see cref="AddressSpace"/>. One method per service:
/// decoded request and context in, response out. Browse and BrowseNext first decide each result
/// (which references of which node, <see cref="BrowsePlan"/>), then either describe them as
/// objects or, for a responder that encodes at once (<see cref="BrowseReused"/>), write them
/// straight into the response's encoding: a Browse of 1000 references then makes no object per
/// reference.
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

    private readonly StreamedBrowseResponse reusedBrowse = new(BrowseResponse.EncodingId);
    private readonly StreamedBrowseResponse reusedBrowseNext = new(BrowseNextResponse.EncodingId);

    public BrowseResponse Browse(BrowseRequest request, in UaRequestContext context)
    {
        var response = new BrowseResponse();
        var plans = new List<BrowsePlan>();
        if (PlanBrowse(request, context, response.ResponseHeader, plans))
        {
            response.Results = Describe(plans);
        }

        return response;
    }

    /// <summary>
    /// Browse answered with this service's own response, which writes the references straight from
    /// the nodes when it is encoded and which the next <see cref="BrowseReused"/> overwrites: for a
    /// responder that encodes the response before it returns (<see cref="IServiceResponder.EncodesAtOnce"/>).
    /// </summary>
    public IServiceResponse BrowseReused(BrowseRequest request, in UaRequestContext context)
    {
        reusedBrowse.Plans.Clear();
        reusedBrowse.HasResults = PlanBrowse(request, context, reusedBrowse.ResponseHeader, reusedBrowse.Plans);
        return reusedBrowse;
    }

    public BrowseNextResponse BrowseNext(BrowseNextRequest request, in UaRequestContext context)
    {
        var response = new BrowseNextResponse();
        var plans = new List<BrowsePlan>();
        if (PlanBrowseNext(request, context, response.ResponseHeader, plans))
        {
            response.Results = Describe(plans);
        }

        return response;
    }

    /// <summary>BrowseNext answered as <see cref="BrowseReused"/> answers Browse.</summary>
    public IServiceResponse BrowseNextReused(BrowseNextRequest request, in UaRequestContext context)
    {
        reusedBrowseNext.Plans.Clear();
        reusedBrowseNext.HasResults = PlanBrowseNext(request, context, reusedBrowseNext.ResponseHeader, reusedBrowseNext.Plans);
        return reusedBrowseNext;
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

    /// <summary>Fills <paramref name="header"/> and, when the service result is Good (the return value), one plan per node to browse.</summary>
    private bool PlanBrowse(BrowseRequest request, in UaRequestContext context, ResponseHeader header, List<BrowsePlan> plans)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nodesToBrowse = request.NodesToBrowse ?? [];
        var status = ServiceResults.CheckCount(nodesToBrowse.Length, limits.MaxNodesPerBrowse);
        if (status.IsGood && !request.View.ViewId.IsNull)
        {
            status = StatusCodes.BadViewIdUnknown;
        }

        ServiceResults.FillHeader(header, request.RequestHeader, context, status);
        if (status.IsBad)
        {
            return false;
        }

        var maxReferences = request.RequestedMaxReferencesPerNode == 0
            ? limits.MaxReferencesPerNode
            : Math.Min(request.RequestedMaxReferencesPerNode, limits.MaxReferencesPerNode);
        foreach (var description in nodesToBrowse)
        {
            plans.Add(BrowseOne(description, maxReferences, context.Session));
        }

        return true;
    }

    /// <summary>Fills <paramref name="header"/> and, when the service result is Good (the return value), one plan per continuation point.</summary>
    private bool PlanBrowseNext(BrowseNextRequest request, in UaRequestContext context, ResponseHeader header, List<BrowsePlan> plans)
    {
        ArgumentNullException.ThrowIfNull(request);
        var points = request.ContinuationPoints ?? [];
        var status = ServiceResults.CheckCount(points.Length, limits.MaxNodesPerBrowse);
        ServiceResults.FillHeader(header, request.RequestHeader, context, status);
        if (status.IsBad)
        {
            return false;
        }

        foreach (var point in points)
        {
            var continuation = context.Session.TakeContinuation(point);
            plans.Add(continuation is null ? BrowsePlan.Failed(StatusCodes.BadContinuationPointInvalid)
                : request.ReleaseContinuationPoints ? BrowsePlan.Failed(StatusCode.Good)
                : Continue(continuation.Node, continuation.Filter, continuation.NextReference, context.Session));
        }

        return true;
    }

    private BrowsePlan BrowseOne(BrowseDescription description, uint maxReferences, SessionViewState session)
    {
        if (!space.TryGetNode(description.NodeId, out var node))
        {
            return BrowsePlan.Failed(StatusCodes.BadNodeIdUnknown);
        }

        if (description.BrowseDirection is < BrowseDirection.Forward or > BrowseDirection.Both)
        {
            return BrowsePlan.Failed(StatusCodes.BadBrowseDirectionInvalid);
        }

        UaReferenceTypeNode? referenceType = null;
        if (!description.ReferenceTypeId.IsNull && (referenceType = space.FindReferenceType(description.ReferenceTypeId)) is null)
        {
            return BrowsePlan.Failed(StatusCodes.BadReferenceTypeIdInvalid);
        }

        var filter = new BrowseFilter(
            description.BrowseDirection, referenceType, description.IncludeSubtypes, description.NodeClassMask, description.ResultMask, maxReferences);
        return Continue(node, filter, 0, session);
    }

    /// <summary>The references of <paramref name="node"/> from index <paramref name="start"/> that pass the filter, up to its maximum, with a continuation point when more remain.</summary>
    private static BrowsePlan Continue(UaNode node, BrowseFilter filter, int start, SessionViewState session)
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

        byte[]? continuationPoint = null;
        if (more && (continuationPoint = session.AddContinuation(new BrowseContinuation(node, filter, next))) is null)
        {
            return BrowsePlan.Failed(StatusCodes.BadNoContinuationPoints);
        }

        return new BrowsePlan(StatusCode.Good, node, filter, start, next, count, continuationPoint);
    }

    private static BrowseResult[] Describe(List<BrowsePlan> plans)
    {
        var results = new BrowseResult[plans.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var plan = plans[i];
            results[i] = new BrowseResult { StatusCode = plan.Status, ContinuationPoint = plan.ContinuationPoint };
            if (plan.Node is { } node)
            {
                var descriptions = new ReferenceDescription[plan.Count];
                var written = 0;
                foreach (var reference in plan.References(node))
                {
                    descriptions[written++] = Describe(reference, plan.Filter.ResultMask, new ReferenceDescription());
                }

                results[i].References = descriptions;
            }
        }

        return results;
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

    /// <summary>Makes <paramref name="description"/> (new, or one reused for each reference written) describe <paramref name="reference"/> with the fields <paramref name="resultMask"/> asks for; the others are their defaults.</summary>
    private static ReferenceDescription Describe(in UaReference reference, uint resultMask, ReferenceDescription description)
    {
        var target = reference.Target;
        description.NodeId = target.NodeId;
        description.ReferenceTypeId = (resultMask & ResultReferenceType) != 0 ? reference.ReferenceType.NodeId : NodeId.Null;
        description.IsForward = (resultMask & ResultIsForward) != 0 && reference.IsForward;
        description.NodeClass = (resultMask & ResultNodeClass) != 0 ? target.NodeClass : default;
        description.BrowseName = (resultMask & ResultBrowseName) != 0 ? target.BrowseName : default;
        description.DisplayName = (resultMask & ResultDisplayName) != 0 ? target.DisplayName : default;
        description.TypeDefinition =
            (resultMask & ResultTypeDefinition) != 0 && target.NodeClass is NodeClass.Object or NodeClass.Variable && target.TypeDefinition is { } type
            ? type.NodeId
            : ExpandedNodeId.Null;
        return description;
    }

    /// <summary>
    /// One result of a Browse or BrowseNext, decided: the <see cref="Count"/> references among
    /// <see cref="Node"/>'s [<see cref="Start"/>, <see cref="End"/>) that pass <see cref="Filter"/>,
    /// and the continuation point for the rest; or, without a node, a status alone (no references).
    /// </summary>
    private readonly record struct BrowsePlan(StatusCode Status, UaNode? Node, BrowseFilter Filter, int Start, int End, int Count, byte[]? ContinuationPoint)
    {
        public static BrowsePlan Failed(StatusCode status) => new(status, null, default, 0, 0, 0, null);

        /// <summary>The references the plan describes, in order.</summary>
        public PlannedReferences References(UaNode node) => new(node.References, Start, End, Filter);
    }

    /// <summary>The references of a plan (those of a span that pass a filter), enumerated without allocating.</summary>
    private readonly ref struct PlannedReferences(ReadOnlySpan<UaReference> references, int start, int end, BrowseFilter filter)
    {
        private readonly ReadOnlySpan<UaReference> references = references;

        public Enumerator GetEnumerator() => new(references, start - 1, end, filter);

        public ref struct Enumerator(ReadOnlySpan<UaReference> references, int index, int end, BrowseFilter filter)
        {
            private readonly ReadOnlySpan<UaReference> references = references;
            private int index = index;

            public readonly ref readonly UaReference Current => ref references[index];

            public bool MoveNext()
            {
                while (++index < end)
                {
                    if (Matches(references[index], filter))
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>
    /// A Browse or BrowseNext response reused from one request to the next, whose results are
    /// written from their plans as it is encoded: one <see cref="ReferenceDescription"/> described
    /// anew for each reference, in the layout of the generated BrowseResult and response.
    /// </summary>
    private sealed class StreamedBrowseResponse(uint encodingId) : IServiceResponse
    {
        private readonly ReferenceDescription scratch = new();

        public NodeId BinaryEncodingId => new(encodingId);

        public ResponseHeader ResponseHeader { get; } = new();

        public List<BrowsePlan> Plans { get; } = [];

        /// <summary>False when the service result is Bad: the response has no results array.</summary>
        public bool HasResults { get; set; }

        public void Encode(UaEncoder encoder)
        {
            ResponseHeader.Encode(encoder);
            if (!HasResults)
            {
                encoder.WriteInt32(-1);
            }
            else
            {
                encoder.WriteArrayLength(Plans.Count);
                foreach (var plan in Plans)
                {
                    WriteResult(encoder, plan);
                }
            }

            encoder.WriteInt32(-1);
        }

        private void WriteResult(UaEncoder encoder, in BrowsePlan plan)
        {
            encoder.WriteStatusCode(plan.Status);
            encoder.WriteByteString(plan.ContinuationPoint);
            if (plan.Node is not { } node)
            {
                encoder.WriteInt32(-1);
                return;
            }

            encoder.WriteArrayLength(plan.Count);
            foreach (ref readonly var reference in plan.References(node))
            {
                Describe(reference, plan.Filter.ResultMask, scratch).Encode(encoder);
            }
        }
    }
}
