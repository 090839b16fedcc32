using Neokernel.Kernel.Devices;

namespace Neokernel.Kernel.Services;

/// <summary>
/// A service's one granted stream device seen as a provider, so an engine written against
/// <see cref="IStreamDeviceProvider"/> (a tool hands it the platform's) opens its socket or
/// serial line through the service's capability instead: the kernel checks and traces the grant,
/// and an isolated service gets the descriptor the kernel handed it.
/// </summary>
public sealed class ServiceStreams : IStreamDeviceProvider
{
    private readonly IServiceContext context;
    private readonly string device;

    private ServiceStreams(IServiceContext context, string device, DeviceAddress address)
    {
        this.context = context;
        this.device = device;
        Address = address;
    }

    /// <summary>The granted device's address, parsed from the spec (validate checked it).</summary>
    public DeviceAddress Address { get; }

    /// <summary>The device <paramref name="device"/> of the service's spec; a configuration error if it has none by that name.</summary>
    public static ServiceStreams For(IServiceContext context, string device)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(device);
        foreach (var spec in context.Spec.Devices)
        {
            if (spec.Name == device)
            {
                return new ServiceStreams(context, device, DeviceUri.Parse(spec.Uri));
            }
        }

        throw new ServiceConfigurationException(context.ServiceId, "device", $"no device '{device}' in the service's devices; it has: {string.Join(", ", context.Spec.Devices.Select(d => d.Name))}");
    }

    public IStreamChannel Open(DeviceAddress address, IStreamHandler handler)
    {
        RequireOwn(address);
        return context.OpenStream(device, handler);
    }

    public IStreamListener Listen(DeviceAddress address, IListenerHandler handler)
    {
        RequireOwn(address);
        return context.OpenListener(device, handler);
    }

    private void RequireOwn(DeviceAddress address)
    {
        if (!ReferenceEquals(address, Address) && address.Text != Address.Text)
        {
            throw new ArgumentException($"this provider opens only device '{device}' ({Address.Text}), not {address.Text}", nameof(address));
        }
    }
}
