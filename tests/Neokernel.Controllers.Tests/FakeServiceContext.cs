using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers.Tests;

/// <summary>
/// A stand-in for the kernel's context: parameters, manifest, clock and random are real; regions
/// and endpoints need the kernel (their constructors are internal), so opening one records the
/// request and throws. Enough to test configuration and everything up to the first capability.
/// </summary>
internal sealed class FakeServiceContext : IServiceContext
{
    private readonly Lazy<ServiceSpec> spec;

    // The parameters are typed against the declarations (the PID's by default) when first read, as the kernel's spec builder would.
    public FakeServiceContext(IReadOnlyDictionary<string, string> parameters, long periodUs = 100_000, SafeStateManifest? safeState = null, IReadOnlyList<ParameterDeclaration>? declarations = null)
    {
        ServiceId = "svc";
        var manifest = new ServiceManifest
        {
            Id = ServiceId,
            Kind = "controller",
            Program = new ProgramManifest { Type = "test", Parameters = new Dictionary<string, string>(parameters) },
            Timing = periodUs > 0 ? new TimingManifest { PeriodUs = periodUs } : null,
            SafeState = safeState,
        };
        spec = new Lazy<ServiceSpec>(() => SpecBuilder.ServiceWithParameters(manifest, declarations ?? PidServiceSettings.Parameters));
    }

    public string ServiceId { get; }

    public ServiceSpec Spec => spec.Value;

    public ProgramParameters Parameters => Spec.Program.Parameters;

    public IClock Clock { get; } = new FixedClock();

    public DeterministicRandom Random { get; } = new(7);

    public List<string> Opened { get; } = [];

    public CyclicStatistics? CyclicStatistics => null;

    public RegionReader OpenRegionReader(string region) => Refuse<RegionReader>("reader " + region);

    public RegionWriter OpenRegionWriter(string region) => Refuse<RegionWriter>("writer " + region);

    public EndpointServer ServeEndpoint(string endpoint, IMessageHandler handler) => Refuse<EndpointServer>("serve " + endpoint);

    public EndpointClient OpenEndpointClient(string endpoint, IReplyHandler? replyHandler = null) => Refuse<EndpointClient>("client " + endpoint);

    public IDeviceChannel OpenDevice(string name) => Refuse<IDeviceChannel>("device " + name);

    public ICyclicTaskHandle StartCyclic(ICyclicBody body) => Refuse<ICyclicTaskHandle>("cyclic");

    public void ReportFault(string reason) => Opened.Add("fault " + reason);

    public void Complete(string reason) => Opened.Add("complete " + reason);

    private T Refuse<T>(string what)
    {
        Opened.Add(what);
        throw new NotSupportedException("the fake context has no kernel: " + what);
    }

    private sealed class FixedClock : IClock
    {
        public long NowNs => 1_000;
    }
}
