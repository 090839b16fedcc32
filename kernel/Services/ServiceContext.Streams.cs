using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>Stream devices and listeners: opened through the service's device capability, closed with its instance.</summary>
internal sealed partial class ServiceContext
{
    public IStreamChannel OpenStream(string name, IStreamHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (capability, address) = RequireStream(name, DeviceTransport.TcpConnect, DeviceTransport.Serial);
        var guard = new StreamGuard(capability, kernel.Trace, runtime.TraceId, kernel.Trace.Intern(address.Text));
        var channel = new GuardedStreamChannel(guard, handler);
        channel.Attach(kernel.Platform.Streams.Open(address, channel));
        devices.Add(channel);
        return channel;
    }

    public IStreamListener OpenListener(string name, IListenerHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (capability, address) = RequireStream(name, DeviceTransport.TcpListen);
        var guard = new StreamGuard(capability, kernel.Trace, runtime.TraceId, kernel.Trace.Intern(address.Text));
        var listener = kernel.Platform.Streams.Listen(address, new GuardedListenerHandler(guard, handler));
        devices.Add(listener);
        return listener;
    }

    private (Capability Capability, DeviceAddress Address) RequireStream(string name, params DeviceTransport[] transports)
    {
        var capability = Space.Find(CapabilityKind.Device, name);
        if (capability is null || !capability.IsValid)
        {
            throw Deny(CapabilityKind.Device, name, Rights.Read, "list it under devices with its uri");
        }

        var address = DeviceUri.Parse((string)capability.KernelObject);
        if (Array.IndexOf(transports, address.Transport) < 0)
        {
            var how = address.Transport switch
            {
                DeviceTransport.RegisterBank => "OpenDevice",
                DeviceTransport.TcpListen => "OpenListener",
                _ => "OpenStream",
            };
            throw new InvalidOperationException($"service '{ServiceId}': device '{name}' ({address.Text}) {address.Describe()}: open it with {how}");
        }

        capability.MarkUsed();
        return (capability, address);
    }
}
