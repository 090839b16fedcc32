using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil.Tests;

/// <summary>
/// A stand-in for the kernel's context: parameters, manifest, random and devices (on a
/// <see cref="SimulatedDeviceBus"/>) are real, the cyclic task is driven by the test; regions and
/// endpoints need the kernel (internal constructors), so opening one records it and throws.
/// </summary>
internal sealed class FakeServiceContext : IServiceContext
{
    private readonly SimulatedDeviceBus bus;
    private readonly IReadOnlyDictionary<string, string> deviceUris;

    private readonly Lazy<ServiceSpec> spec;

    // The parameters are typed against the program's declarations when first read, as the kernel's spec builder would.
    public FakeServiceContext(
        IReadOnlyList<ParameterDeclaration> declarations,
        IReadOnlyDictionary<string, string> parameters,
        SimulatedDeviceBus bus,
        IReadOnlyDictionary<string, string> deviceUris,
        long periodUs = 100_000)
    {
        this.bus = bus;
        this.deviceUris = deviceUris;
        ServiceId = "svc";
        var manifest = new ServiceManifest
        {
            Id = ServiceId,
            Kind = "plant",
            Program = new ProgramManifest { Type = "test", Parameters = new Dictionary<string, string>(parameters) },
            Timing = periodUs > 0 ? new TimingManifest { PeriodUs = periodUs } : null,
        };
        spec = new Lazy<ServiceSpec>(() => SpecBuilder.ServiceWithParameters(manifest, declarations));
    }

    public string ServiceId { get; }

    public ServiceSpec Spec => spec.Value;

    public ProgramParameters Parameters => Spec.Program.Parameters;

    public IClock Clock { get; } = new FixedClock();

    public DeterministicRandom Random { get; } = new(11);

    public List<string> Opened { get; } = [];

    public ICyclicBody? Body { get; private set; }

    public CyclicStatistics? CyclicStatistics => null;

    public RegionReader OpenRegionReader(string region) => Refuse<RegionReader>("reader " + region);

    public RegionWriter OpenRegionWriter(string region) => Refuse<RegionWriter>("writer " + region);

    public EndpointServer ServeEndpoint(string endpoint, IMessageHandler handler) => Refuse<EndpointServer>("serve " + endpoint);

    public EndpointClient OpenEndpointClient(string endpoint, IReplyHandler? replyHandler = null) => Refuse<EndpointClient>("client " + endpoint);

    public IDeviceChannel OpenDevice(string name)
    {
        Opened.Add("device " + name);
        return bus.Open(deviceUris[name], DeviceAccess.ReadWrite);
    }

    public ICyclicTaskHandle StartCyclic(ICyclicBody body)
    {
        Opened.Add("cyclic");
        Body = body;
        return new Handle();
    }

    public void ReportFault(string reason) => Opened.Add("fault " + reason);

    public void Complete(string reason) => Opened.Add("complete " + reason);

    /// <summary>Runs <paramref name="cycles"/> releases of the cyclic body, one period apart.</summary>
    public void RunCycles(int cycles, long firstIndex = 0)
    {
        var periodNs = Spec.Timing!.PeriodUs * 1_000;
        for (var i = firstIndex; i < firstIndex + cycles; i++)
        {
            Body!.Execute(new CycleInfo(i, i * periodNs, i * periodNs));
        }
    }

    private T Refuse<T>(string what)
    {
        Opened.Add(what);
        throw new NotSupportedException("the fake context has no kernel: " + what);
    }

    private sealed class FixedClock : IClock
    {
        public long NowNs => 0;
    }

    private sealed class Handle : ICyclicTaskHandle
    {
        public CyclicStatistics Statistics => default;

        public void Stop()
        {
        }
    }
}
