namespace Neokernel.Kernel.Capabilities;

/// <summary>What a capability lets its holder do with the object it names.</summary>
[Flags]
public enum Rights
{
    None = 0,
    Read = 1,
    Write = 2,
    Call = 4,
    Grant = 8,
    All = Read | Write | Call | Grant,
}

public enum CapabilityKind
{
    Region,
    Endpoint,
    Device,
    Clock,
    Timer,

    /// <summary>The service's retain store: the one place in the file system it may write.</summary>
    Retain,
}

/// <summary>
/// An unforgeable handle on one kernel object with a set of rights. Only the kernel creates
/// capabilities (the constructor is internal and nothing public reaches the object behind it).
/// A holder may derive a weaker capability, never a stronger one. Revoking a capability revokes
/// everything derived from it, as in seL4's derivation tree; the kernel revokes every capability
/// of a service when it stops or restarts.
/// </summary>
public sealed class Capability
{
    /// <summary>Derivation chains longer than this are refused, so validity checks stay bounded.</summary>
    public const int DerivationDepthMax = 8;

    private readonly Capability? parent;
    private bool revoked;

    internal Capability(CapabilityKind kind, string objectName, object kernelObject, Rights rights, string holder, Capability? parent)
    {
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        ArgumentNullException.ThrowIfNull(kernelObject);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        Kind = kind;
        ObjectName = objectName;
        KernelObject = kernelObject;
        Rights = rights;
        Holder = holder;
        this.parent = parent;
        Depth = parent is null ? 0 : parent.Depth + 1;
    }

    public CapabilityKind Kind { get; }

    /// <summary>The name of the object as the manifests spell it.</summary>
    public string ObjectName { get; }

    public Rights Rights { get; }

    /// <summary>The service id that holds this capability.</summary>
    public string Holder { get; }

    public int Depth { get; }

    /// <summary>False once this capability or any it was derived from is revoked.</summary>
    public bool IsValid
    {
        get
        {
            for (var c = this; c is not null; c = c.parent)
            {
                if (c.revoked)
                {
                    return false;
                }
            }

            return true;
        }
    }

    internal object KernelObject { get; }

    public bool Allows(Rights wanted) => wanted != Rights.None && (Rights & wanted) == wanted && IsValid;

    /// <summary>
    /// A capability on the same object with <paramref name="rights"/>, which must be a subset of
    /// this one's. Asking for a right this capability lacks is denied, never widened.
    /// </summary>
    public Capability Derive(Rights rights)
    {
        if ((rights & ~Rights) != Rights.None)
        {
            throw new CapabilityDeniedException(Holder, Kind, ObjectName,
                $"derivation asks for {rights & ~Rights} which the source capability ({Rights}) lacks; a derived capability can only drop rights");
        }

        if (!IsValid)
        {
            throw new CapabilityDeniedException(Holder, Kind, ObjectName, "the source capability was revoked");
        }

        if (Depth + 1 > DerivationDepthMax)
        {
            throw new CapabilityDeniedException(Holder, Kind, ObjectName, $"derivation depth would exceed {DerivationDepthMax}");
        }

        return new Capability(Kind, ObjectName, KernelObject, rights, Holder, this);
    }

    /// <summary>Whether the holder ever exercised this capability: the least-privilege audit reads it.</summary>
    public bool Used { get; private set; }

    internal void Revoke() => revoked = true;

    internal void MarkUsed() => Used = true;

    public override string ToString() => $"{Kind}:{ObjectName} [{Rights}] held by {Holder}{(IsValid ? "" : " (revoked)")}";
}

/// <summary>A service asked for something its manifest does not grant.</summary>
public sealed class CapabilityDeniedException : Exception
{
    public CapabilityDeniedException(string serviceId, CapabilityKind kind, string objectName, string reason)
        : base($"service '{serviceId}' was denied {kind.ToString().ToLowerInvariant()} '{objectName}': {reason}")
    {
        ServiceId = serviceId;
        Kind = kind;
        ObjectName = objectName;
    }

    public string ServiceId { get; }

    public CapabilityKind Kind { get; }

    public string ObjectName { get; }
}

/// <summary>
/// The capabilities one service instance holds, by kind and name. Everything in it is revoked
/// together when the instance stops; a restarted instance gets a fresh space.
/// </summary>
public sealed class CapabilitySpace
{
    private readonly Dictionary<(CapabilityKind Kind, string Name), Capability> capabilities = [];

    public CapabilitySpace(string holder)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        Holder = holder;
    }

    public string Holder { get; }

    public bool IsRevoked { get; private set; }

    public int Count => capabilities.Count;

    public IEnumerable<Capability> All => capabilities.Values;

    public Capability? Find(CapabilityKind kind, string name) =>
        capabilities.TryGetValue((kind, name), out var capability) ? capability : null;

    internal Capability Grant(CapabilityKind kind, string name, object kernelObject, Rights rights)
    {
        if (IsRevoked)
        {
            throw new InvalidOperationException($"capability space of '{Holder}' is revoked; grants go to the next instance");
        }

        var capability = new Capability(kind, name, kernelObject, rights, Holder, null);
        capabilities[(kind, name)] = capability;
        return capability;
    }

    internal void RevokeAll()
    {
        foreach (var capability in capabilities.Values)
        {
            capability.Revoke();
        }

        IsRevoked = true;
    }
}
