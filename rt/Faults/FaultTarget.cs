namespace Neokernel.Rt.Faults;

/// <summary>
/// An endpoint's or a region's target as a schedule names it: the name, and after a '/' one part
/// of it (an endpoint's direction, a region's point), which endpoint, region and point names
/// never contain. Null <see cref="Part"/>: the whole endpoint or region.
/// </summary>
public readonly record struct FaultTarget(string Name, string? Part)
{
    /// <summary>An endpoint's requests: what its clients send to its provider.</summary>
    public const string Requests = "requests";

    /// <summary>An endpoint's replies: what its provider sends back to its clients.</summary>
    public const string Replies = "replies";

    public static FaultTarget Of(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new FaultTarget(target, null) : new FaultTarget(target[..slash], target[(slash + 1)..]);
    }

    /// <summary>True when an endpoint fault of this target acts on the requests (<paramref name="replies"/> false) or the replies.</summary>
    public bool Covers(bool replies) => Part is null || string.Equals(Part, replies ? Replies : Requests, StringComparison.Ordinal);
}
