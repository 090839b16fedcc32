using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// Where monitored items get their values: the integrator implements it over the address space.
/// Opening checks the node, the attribute and the index range once, so sampling never has to.
/// </summary>
public interface IValueSampler
{
    /// <summary>
    /// A handle to sample <paramref name="attributeId"/> of <paramref name="nodeId"/> (with
    /// <paramref name="indexRange"/>, null or empty for the whole value), or a Bad status and a
    /// null handle: BadNodeIdUnknown, BadAttributeIdInvalid, BadIndexRangeInvalid,
    /// BadDataEncodingUnsupported, BadUserAccessDenied. Control plane: may allocate.
    /// </summary>
    StatusCode Open(NodeId nodeId, uint attributeId, string? indexRange, QualifiedName dataEncoding, out ISampledValue? handle);
}

/// <summary>One opened (node, attribute, range): what a monitored item samples. A handle that is also <see cref="IDisposable"/> is disposed when its item is deleted.</summary>
public interface ISampledValue
{
    /// <summary>
    /// The attribute's value now. Data plane: called for every item at its sampling interval, so
    /// a value that did not change must come back without allocating (the same string or array
    /// instance, a number in the Variant's bits).
    /// </summary>
    DataValue Sample();
}

/// <summary>
/// The server's clock and its timers, as <c>IModbusLoop</c> gives them to the Modbus engine: a
/// gateway service hands it its context, a test a simulation platform, and the subscription
/// engine cannot tell which. It makes one timer, whatever the number of subscriptions and items.
/// </summary>
public interface ISubscriptionLoop
{
    IClock Clock { get; }

    /// <summary>UA DateTime (100 ns ticks since 1601) at the clock's 0: PublishTime and ServerTimestamp are the clock plus this.</summary>
    long UaTicksAtClockZero { get; }

    /// <summary>A one-shot timer whose callback runs on the loop, never concurrently with the services' calls. Control plane.</summary>
    IPlatformTimer CreateTimer(ITimerCallback callback);
}

/// <summary>The loop of the gateway service: its granted clock and one of its service timers.</summary>
public sealed class ServiceSubscriptionLoop(IServiceContext context, long uaTicksAtClockZero) : ISubscriptionLoop
{
    public IClock Clock => context.Clock;

    public long UaTicksAtClockZero => uaTicksAtClockZero;

    public IPlatformTimer CreateTimer(ITimerCallback callback) => context.CreateTimer(callback).AsPlatformTimer();
}

/// <summary>The loop of a platform without a kernel: a tool, or a test on the simulation's virtual time.</summary>
public sealed class PlatformSubscriptionLoop(IPlatform platform, long uaTicksAtClockZero) : ISubscriptionLoop
{
    public IClock Clock => platform.Clock;

    public long UaTicksAtClockZero => uaTicksAtClockZero;

    public IPlatformTimer CreateTimer(ITimerCallback callback) => platform.CreateTimer(callback);
}

/// <summary>
/// How a queued Publish request is answered, later, on the loop: the integrator passes one per
/// request and encodes what it is given. Exactly one of the two is called, exactly once.
/// </summary>
public interface IPublishCallback
{
    void Complete(PublishResponse response);

    /// <summary>Answer the request with a ServiceFault of <paramref name="status"/> (BadNoSubscription, BadTooManyPublishRequests, BadTimeout, BadSessionClosed).</summary>
    void Fail(StatusCode status);
}
