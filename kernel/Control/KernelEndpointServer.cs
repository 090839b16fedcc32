using System.Text;
using Neokernel.Contracts;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Control;

/// <summary>
/// The kernel as the provider of <c>kernel.status</c> and <c>kernel.control</c>. It serves them on
/// its own event loop, from endpoints built like any other (shared-memory rings when a client runs
/// in a process of its own), with a capability space of its own. Each request goes through the one
/// dispatch table (<see cref="KernelOperations"/>); a control operation the client's route does
/// not grant is answered <see cref="KernelReplyStatus.Denied"/> and traced as CapabilityDeny
/// (subject the client, object the endpoint, the operation's code). Only the kernel that runs the
/// whole system serves them: a service host process's local kernel leaves them to it.
/// </summary>
internal sealed class KernelEndpointServer : IMessageHandler, IFaultSink
{
    /// <summary>Kinds of trace events the status counts.</summary>
    public static readonly int TraceKinds = Enum.GetValues<TraceEventKind>().Length;

    private readonly byte[] reply = new byte[KernelEndpoints.MaxMessageBytes];
    private readonly byte[][] serviceIdsUtf8;
    private readonly List<(Endpoint Endpoint, EndpointServer Server)> bound = [];
    private ControlRights[] controlRights = [];
    private int[] controlClientTraceIds = [];
    private int controlTraceId = -1;

    /// <summary>The client of the request being handled (the loop handles one at a time).</summary>
    private int currentSender = -1;

    public KernelEndpointServer(SystemKernel kernel)
    {
        Kernel = kernel;
        TraceId = kernel.Trace.Intern(KernelEndpoints.Provider);
        Regions = [.. kernel.Regions];
        serviceIdsUtf8 = [.. kernel.Services.Select(s => Encoding.UTF8.GetBytes(s.Id))];
    }

    public SystemKernel Kernel { get; }

    /// <summary>Regions in the order the kernel created them: the index a status request names.</summary>
    public IReadOnlyList<Region> Regions { get; }

    public int TraceId { get; }

    /// <summary>Binds a server to each kernel endpoint the system routes; <paramref name="endpoints"/> are those the kernel created.</summary>
    public void Bind(IReadOnlyDictionary<string, Endpoint> endpoints)
    {
        var space = new CapabilitySpace(KernelEndpoints.Provider);
        foreach (var name in (ReadOnlySpan<string>)[KernelEndpoints.Status, KernelEndpoints.Control])
        {
            if (!endpoints.TryGetValue(name, out var endpoint))
            {
                continue;
            }

            var capability = space.Grant(CapabilityKind.Endpoint, name, endpoint, Rights.Read | Rights.Write);
            var server = new EndpointServer(endpoint, capability, this, this, TraceId);
            endpoint.Bind(server);
            bound.Add((endpoint, server));
            if (name == KernelEndpoints.Control)
            {
                GrantControlRights(endpoint);
            }
        }
    }

    public void Unbind()
    {
        foreach (var (endpoint, _) in bound)
        {
            endpoint.Bind(null);
        }

        bound.Clear();
    }

    /// <summary>The service whose id is <paramref name="idUtf8"/>, or null.</summary>
    public ServiceRuntime? FindService(ReadOnlySpan<byte> idUtf8)
    {
        for (var i = 0; i < serviceIdsUtf8.Length; i++)
        {
            if (idUtf8.SequenceEqual(serviceIdsUtf8[i]))
            {
                return Kernel.Services[i];
            }
        }

        return null;
    }

    public void OnMessage(EndpointServer server, in EndpointMessage message)
    {
        if (!message.IsRequest)
        {
            // A one-way message asks for nothing the kernel could answer; it is delivered (traced) and dropped.
            return;
        }

        var operation = KernelMessages.OperationOf(message.Payload);
        var entry = KernelOperations.Find(operation, server.Name);
        int length;
        if (entry is null)
        {
            length = KernelMessages.EncodeStatus(KernelReplyStatus.UnknownOperation, reply);
        }
        else if (!Allows(entry, message.Header.Sender))
        {
            Kernel.Trace.Record(TraceEventKind.CapabilityDeny, ClientTraceId(message.Header.Sender), controlTraceId, (long)operation, (long)CapabilityKind.Endpoint);
            length = KernelMessages.EncodeStatus(KernelReplyStatus.Denied, reply);
        }
        else
        {
            currentSender = message.Header.Sender;
            length = entry.Handler(this, message.Payload, reply);
        }

        server.Reply(message, reply.AsSpan(0, length));
    }

    void IFaultSink.OnHandlerFault(Exception exception) =>
        Kernel.Trace.Record(TraceEventKind.Fault, TraceId, $"kernel endpoint operation threw {exception.GetType().Name}: {exception.Message}");

    private bool Allows(KernelOperationEntry entry, int clientId) =>
        entry.Right == ControlRights.None || ((uint)clientId < (uint)controlRights.Length && (controlRights[clientId] & entry.Right) == entry.Right);

    /// <summary>
    /// Traces a kernel.control operation that reached its service (carried out, or refused by the
    /// service's state), naming the client that asked: an operator's hand on the lifecycle is in
    /// the record like the supervisor's own restarts.
    /// </summary>
    internal void TraceControl(ServiceRuntime service, KernelOperation operation, KernelReplyStatus status) =>
        Kernel.Trace.Record(TraceEventKind.Control, ClientTraceId(currentSender), service.TraceId, (long)operation, (long)status);

    private int ClientTraceId(int clientId) => (uint)clientId < (uint)controlClientTraceIds.Length ? controlClientTraceIds[clientId] : -1;

    /// <summary>Each routed client's rights on kernel.control, by client id: the union of its route's operations.</summary>
    private void GrantControlRights(Endpoint endpoint)
    {
        controlTraceId = endpoint.TraceId;
        var routes = Kernel.System.Spec.Routes.Where(r => r.Endpoint == KernelEndpoints.Control).ToList();
        var clients = routes.Select(r => r.Client).Distinct(StringComparer.Ordinal).ToList();
        controlRights = new ControlRights[clients.Count];
        controlClientTraceIds = new int[clients.Count];
        foreach (var route in routes)
        {
            var clientId = endpoint.ClientIdOf(route.Client);
            controlClientTraceIds[clientId] = Kernel.Trace.Intern(route.Client);
            controlRights[clientId] |= route.Operations;
        }
    }
}
