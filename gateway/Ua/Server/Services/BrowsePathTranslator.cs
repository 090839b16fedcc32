namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Follows one BrowsePath (Part 4 §5.9.4): from the starting node, each RelativePath element
/// follows the references of its type (and subtypes, when asked; every reference when it names
/// none), forward or inverse, to the targets with its TargetName. Every node reached by the last
/// element is a target.
/// </summary>
internal readonly struct BrowsePathTranslator(AddressSpace space)
{
    /// <summary>The most nodes one element may lead to; a path that branches wider is cut there, not allowed to grow without bound.</summary>
    private const int BranchesMax = 1_000;

    public BrowsePathResult Translate(BrowsePath path)
    {
        if (!space.TryGetNode(path.StartingNode, out var start))
        {
            return new BrowsePathResult { StatusCode = StatusCodes.BadNodeIdUnknown };
        }

        var elements = path.RelativePath.Elements ?? [];
        if (elements.Length == 0)
        {
            return new BrowsePathResult { StatusCode = StatusCodes.BadNothingToDo };
        }

        foreach (var element in elements)
        {
            if (string.IsNullOrEmpty(element.TargetName.Name))
            {
                return new BrowsePathResult { StatusCode = StatusCodes.BadBrowseNameInvalid };
            }
        }

        var current = new List<UaNode> { start };
        foreach (var element in elements)
        {
            current = Step(current, element);
            if (current.Count == 0)
            {
                return new BrowsePathResult { StatusCode = StatusCodes.BadNoMatch };
            }
        }

        var targets = new BrowsePathTarget[current.Count];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = new BrowsePathTarget { TargetId = current[i].NodeId, RemainingPathIndex = uint.MaxValue };
        }

        return new BrowsePathResult { Targets = targets };
    }

    private List<UaNode> Step(List<UaNode> from, RelativePathElement element)
    {
        var next = new List<UaNode>();
        UaReferenceTypeNode? referenceType = null;
        if (!element.ReferenceTypeId.IsNull && (referenceType = space.FindReferenceType(element.ReferenceTypeId)) is null)
        {
            return next;
        }

        foreach (var node in from)
        {
            foreach (ref readonly var reference in node.References)
            {
                if (reference.IsForward != element.IsInverse
                    && (referenceType is null || (element.IncludeSubtypes ? referenceType.Includes(reference.ReferenceType) : ReferenceEquals(referenceType, reference.ReferenceType)))
                    && reference.Target.BrowseName == element.TargetName
                    && !next.Contains(reference.Target)
                    && next.Count < BranchesMax)
                {
                    next.Add(reference.Target);
                }
            }
        }

        return next;
    }
}
