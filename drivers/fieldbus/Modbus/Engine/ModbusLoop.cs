using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// Where a Modbus master or slave gets its clock and its timers (request timeouts, reconnect
/// backoff, RTU silences, idle connections). A driver service hands it its context, a tool the
/// platform it runs on; the engine cannot tell which, so the same engine runs in a service's
/// process, in <c>neokernel modbus</c> and on the simulation's virtual time.
/// </summary>
public interface IModbusLoop
{
    IClock Clock { get; }

    /// <summary>A one-shot timer whose callback runs on the loop, never concurrently with the engine's stream callbacks. Control plane: make them at start.</summary>
    IPlatformTimer CreateTimer(ITimerCallback callback);
}

/// <summary>The loop of a service: its granted clock and its service timers.</summary>
public sealed class ServiceModbusLoop(IServiceContext context) : IModbusLoop
{
    public IClock Clock => context.Clock;

    public IPlatformTimer CreateTimer(ITimerCallback callback) => context.CreateTimer(callback).AsPlatformTimer();
}

/// <summary>The loop of a tool that runs an engine straight on a platform (no kernel, no service).</summary>
public sealed class PlatformModbusLoop(IPlatform platform) : IModbusLoop
{
    public IClock Clock => platform.Clock;

    public IPlatformTimer CreateTimer(ITimerCallback callback) => platform.CreateTimer(callback);
}
