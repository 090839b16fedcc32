using Microsoft.Win32.SafeHandles;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// The listening sockets of isolated services, bound by the kernel once, at a service's first
/// start, and handed to every incarnation of it (as systemd's socket activation does). A restart
/// then never races the dead incarnation's socket for the port (EADDRINUSE while the old process
/// is still being reaped), and a client that connects while the service restarts waits in the
/// backlog instead of being refused. Connections the dead process had accepted die with it.
/// The sockets close when the kernel's service host does, at the end of the run.
/// </summary>
internal sealed class ServiceListeners : IDisposable
{
    private readonly Dictionary<(string ServiceId, string Uri), SafeFileHandle> bound = [];
    private bool disposed;

    /// <summary>
    /// The listener behind <paramref name="uri"/> for <paramref name="serviceId"/>: bound now if
    /// this is its first start, the same socket afterwards. Throws as <see cref="DeviceGrants.Open"/>.
    /// </summary>
    public SafeFileHandle Of(string serviceId, string uri)
    {
        lock (bound)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (bound.TryGetValue((serviceId, uri), out var listener))
            {
                return listener;
            }

            listener = DeviceGrants.Open(serviceId, uri)
                ?? throw new ArgumentException($"service '{serviceId}': {uri} is not a listening socket", nameof(uri));
            bound.Add((serviceId, uri), listener);
            return listener;
        }
    }

    /// <summary>How many listeners are bound: one per service and listening device, however often each restarted.</summary>
    public int Count
    {
        get
        {
            lock (bound)
            {
                return bound.Count;
            }
        }
    }

    public void Dispose()
    {
        lock (bound)
        {
            disposed = true;
            foreach (var listener in bound.Values)
            {
                listener.Dispose();
            }

            bound.Clear();
        }
    }
}
