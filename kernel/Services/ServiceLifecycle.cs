using Stateless;
using Stateless.Graph;

namespace Neokernel.Kernel.Services;

public enum ServiceState
{
    Created,
    Starting,
    Running,
    Stopping,
    Stopped,
    Faulted,
    Restarting,
    Failed,
}

public enum ServiceTrigger
{
    Start,
    Started,
    Stop,
    Stopped,
    Fault,
    Restart,
    Fail,
}

/// <summary>
/// The lifecycle of one service as a state machine (Stateless). Control plane only: firing a
/// trigger allocates. An illegal transition is a kernel bug and throws; the supervisor only
/// fires what the current state permits.
/// </summary>
public sealed class ServiceLifecycle
{
    private readonly StateMachine<ServiceState, ServiceTrigger> machine;
    private int state = (int)ServiceState.Created;

    public ServiceLifecycle(Action<ServiceState, ServiceState>? onTransition = null)
    {
        machine = Build(() => (ServiceState)Volatile.Read(ref state), s => Volatile.Write(ref state, (int)s));
        if (onTransition is not null)
        {
            machine.OnTransitioned(t => onTransition(t.Source, t.Destination));
        }
    }

    /// <summary>Read without locks from any thread: an enum write is atomic.</summary>
    public ServiceState State => (ServiceState)Volatile.Read(ref state);

    public bool CanFire(ServiceTrigger trigger) => machine.CanFire(trigger);

    public void Fire(ServiceTrigger trigger) => machine.Fire(trigger);

    /// <summary>The machine as a Graphviz DOT diagram, for the docs.</summary>
    public static string ToDotGraph() => UmlDotGraph.Format(Build(() => ServiceState.Created, _ => { }).GetInfo());

    /// <summary>The machine as a Mermaid state diagram, for the docs.</summary>
    public static string ToMermaid() => MermaidGraph.Format(Build(() => ServiceState.Created, _ => { }).GetInfo());

    private static StateMachine<ServiceState, ServiceTrigger> Build(Func<ServiceState> read, Action<ServiceState> write)
    {
        var m = new StateMachine<ServiceState, ServiceTrigger>(read, write);
        m.Configure(ServiceState.Created)
            .Permit(ServiceTrigger.Start, ServiceState.Starting)
            .Permit(ServiceTrigger.Stop, ServiceState.Stopped);
        m.Configure(ServiceState.Starting)
            .Permit(ServiceTrigger.Started, ServiceState.Running)
            .Permit(ServiceTrigger.Fault, ServiceState.Faulted);
        m.Configure(ServiceState.Running)
            .Permit(ServiceTrigger.Fault, ServiceState.Faulted)
            .Permit(ServiceTrigger.Stop, ServiceState.Stopping);
        m.Configure(ServiceState.Stopping)
            .Permit(ServiceTrigger.Stopped, ServiceState.Stopped)
            .Permit(ServiceTrigger.Fault, ServiceState.Faulted);
        m.Configure(ServiceState.Stopped)
            .Permit(ServiceTrigger.Start, ServiceState.Starting)
            .Permit(ServiceTrigger.Restart, ServiceState.Restarting)
            .Ignore(ServiceTrigger.Stop);
        m.Configure(ServiceState.Faulted)
            .Permit(ServiceTrigger.Restart, ServiceState.Restarting)
            .Permit(ServiceTrigger.Fail, ServiceState.Failed)
            .Permit(ServiceTrigger.Stop, ServiceState.Stopped);
        m.Configure(ServiceState.Restarting)
            .Permit(ServiceTrigger.Start, ServiceState.Starting)
            .Permit(ServiceTrigger.Stop, ServiceState.Stopped);
        m.Configure(ServiceState.Failed)
            .Permit(ServiceTrigger.Start, ServiceState.Starting)
            .Ignore(ServiceTrigger.Stop);
        return m;
    }
}
