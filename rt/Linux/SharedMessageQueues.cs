using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Linux;

/// <summary>
/// The names of an endpoint's rings, the same in the kernel and in every service host process:
/// one request lane and one reply ring per routed client.
/// </summary>
public static class EndpointRingNames
{
    public static string Requests(string endpoint, string client) => $"{endpoint}.requests.{client}";

    public static string Replies(string endpoint, string client) => $"{endpoint}.replies.{client}";
}

/// <summary>
/// The kernel's queues when services run in processes of their own. An endpoint whose provider or
/// any routed client runs in another process gets a <see cref="SharedMessageRing"/> in a sealed
/// memfd for each client's request lane (<see cref="ClientLanesQueue"/>: each ring keeps one
/// producer) and for each client's replies; every other endpoint keeps in-process slots. The
/// kernel owns the rings for the whole run, across restarts of either side, and hands each
/// incarnation exactly the rings its capabilities allow (<see cref="RingsFor"/>).
/// </summary>
public sealed class SharedMessageQueueProvider(Func<string, bool> runsInOwnProcess) : IMessageQueueProvider, IDisposable
{
    private readonly InProcessMessageQueueProvider inProcess = new();
    private readonly Dictionary<string, EndpointQueueSpec> shared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SharedMessageRing> rings = new(StringComparer.Ordinal);

    /// <summary>
    /// The kernel's event loop: a ring this process consumes (its provider or client runs here)
    /// registers its doorbell there instead of being polled. Set before the kernel boots.
    /// </summary>
    public LoopReactor? ArrivalLoop { get; set; }

    /// <summary>Endpoints whose queues are rings, by name.</summary>
    public IReadOnlyCollection<string> SharedEndpoints => shared.Keys;

    public IMessageQueue CreateRequests(EndpointQueueSpec endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!CrossesProcesses(endpoint))
        {
            return inProcess.CreateRequests(endpoint);
        }

        shared[endpoint.Name] = endpoint;
        var lanes = endpoint.Clients.Select(client => (IMessageQueue)NewRing(EndpointRingNames.Requests(endpoint.Name, client), endpoint)).ToArray();
        return new ClientLanesQueue(lanes);
    }

    public IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return shared.ContainsKey(endpoint.Name)
            ? NewRing(EndpointRingNames.Replies(endpoint.Name, endpoint.Clients[clientId]), endpoint)
            : inProcess.CreateReplies(endpoint, clientId);
    }

    /// <summary>
    /// The rings an endpoint capability stands for, for the service that holds it: its provider
    /// (Read and Write) receives on every request lane and answers on every reply ring; a routed
    /// client (Call) sends on its own lane and receives on its own reply ring. Nothing else.
    /// </summary>
    public IReadOnlyList<SharedMessageRing> RingsFor(string endpoint, string serviceId, Rights rights)
    {
        if (!shared.TryGetValue(endpoint, out var spec))
        {
            throw new InvalidOperationException($"endpoint '{endpoint}' is not in shared memory: neither its provider nor a routed client was declared to run in a process of its own when the system booted");
        }

        var list = new List<SharedMessageRing>();
        var provider = (rights & (Rights.Read | Rights.Write)) == (Rights.Read | Rights.Write) && spec.Provider == serviceId;
        foreach (var client in spec.Clients)
        {
            if (provider || ((rights & Rights.Call) != 0 && client == serviceId))
            {
                list.Add(rings[EndpointRingNames.Requests(endpoint, client)]);
                list.Add(rings[EndpointRingNames.Replies(endpoint, client)]);
            }
        }

        return list;
    }

    public void Dispose()
    {
        foreach (var ring in rings.Values)
        {
            ring.Dispose();
        }

        rings.Clear();
    }

    private bool CrossesProcesses(EndpointQueueSpec endpoint) =>
        endpoint.Clients.Count > 0 && (runsInOwnProcess(endpoint.Provider) || endpoint.Clients.Any(runsInOwnProcess));

    private SharedMessageRing NewRing(string name, EndpointQueueSpec endpoint)
    {
        var ring = SharedMessageRing.Create(name, endpoint.Capacity, endpoint.MaxMessageBytes);
        ring.ArrivalLoop = ArrivalLoop;
        rings.Add(name, ring);
        return ring;
    }
}

/// <summary>
/// A service host process's queues: the rings the kernel handed it, by name, and private slots for
/// everything else. Its local kernel builds every endpoint of the system, but only the rings it was
/// handed reach another process: a queue it was not handed is memory nobody else sees.
/// </summary>
public sealed class GrantedMessageQueues(IReadOnlyDictionary<string, SharedMessageRing> handed) : IMessageQueueProvider
{
    private readonly InProcessMessageQueueProvider privateQueues = new();

    public IMessageQueue CreateRequests(EndpointQueueSpec endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var lanes = endpoint.Clients.Select(client => handed.GetValueOrDefault(EndpointRingNames.Requests(endpoint.Name, client))).ToArray();
        if (lanes.All(lane => lane is null))
        {
            return privateQueues.CreateRequests(endpoint);
        }

        return new ClientLanesQueue(lanes.Select(lane => lane ?? privateQueues.CreateRequests(endpoint)).ToArray());
    }

    public IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return handed.GetValueOrDefault(EndpointRingNames.Replies(endpoint.Name, endpoint.Clients[clientId]))
            ?? privateQueues.CreateReplies(endpoint, clientId);
    }
}
