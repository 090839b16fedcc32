using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>The kernel's invariants that a fault campaign checks in every run: here, no capability escalation.</summary>
public sealed class KernelInvariantsTests
{
    private static SystemKernel Boot()
    {
        var system = new TestSystem();
        system.Add("gateway", "test.gateway", periodUs: 0).Kind = "gateway";
        system.Catalog.Program("test.gateway", () => new DelegateService(_ => { }));
        return system.Boot().Kernel;
    }

    [Fact]
    public void ASoundSystem_HasNoViolations()
    {
        Assert.Empty(KernelInvariants.Check(Boot()));
    }

    [Fact]
    public void ACapabilityTheManifestDoesNotGrant_IsAViolation()
    {
        var kernel = Boot();
        var service = kernel.Service("gateway");
        service.Space!.Grant(CapabilityKind.Device, "door", "sim://door", Rights.Write);
        var violation = Assert.Single(KernelInvariants.Check(kernel));
        Assert.Contains("service 'gateway' holds Device:door [Write]", violation, StringComparison.Ordinal);
        Assert.Contains("which its manifest does not grant", violation, StringComparison.Ordinal);
    }
}
