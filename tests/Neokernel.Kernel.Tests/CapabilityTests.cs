using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Neokernel.Kernel.Capabilities;

namespace Neokernel.Kernel.Tests;

public sealed class CapabilityTests
{
    private static Capability Root(Rights rights) =>
        new CapabilitySpace("svc").Grant(CapabilityKind.Region, "r", new object(), rights);

    [Property(MaxTest = 500)]
    public bool Derive_NeverGainsRights(byte granted, byte[] requests)
    {
        var capability = Root((Rights)(granted & 0xF));
        foreach (var request in requests ?? [])
        {
            var wanted = (Rights)(request & 0xF);
            try
            {
                var derived = capability.Derive(wanted);
                if ((derived.Rights & ~capability.Rights) != Rights.None)
                {
                    return false;
                }

                capability = derived.Depth < Capability.DerivationDepthMax ? derived : capability;
            }
            catch (CapabilityDeniedException)
            {
                if ((wanted & ~capability.Rights) == Rights.None && capability.Depth < Capability.DerivationDepthMax)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Guards the promise that a derivation chain is bounded, so a validity check walks at most
    /// eight parents: the ninth derivation is refused. The bound is written out (8), not read from
    /// <see cref="Capability.DerivationDepthMax"/>, so a larger bound fails here too.
    /// </summary>
    [Fact]
    public void Derive_ChainPastEightDerivations_IsRefusedAtTheNinth()
    {
        const int depthMax = 8;
        var capability = Root(Rights.All);
        for (var depth = 1; depth <= depthMax; depth++)
        {
            capability = capability.Derive(Rights.All);
            Assert.Equal(depth, capability.Depth);
        }

        var error = Assert.Throws<CapabilityDeniedException>(() => capability.Derive(Rights.Read));
        Assert.Contains("derivation depth would exceed 8", error.Message, StringComparison.Ordinal);
        Assert.True(capability.IsValid, "a refused derivation must leave its source valid");
    }

    [Fact]
    public void Derive_StrongerRights_IsDenied()
    {
        var read = Root(Rights.Read);
        var error = Assert.Throws<CapabilityDeniedException>(() => read.Derive(Rights.Read | Rights.Write));
        Assert.Contains("can only drop rights", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoke_Parent_RevokesEveryDerivedCapability()
    {
        var space = new CapabilitySpace("svc");
        var root = space.Grant(CapabilityKind.Endpoint, "e", new object(), Rights.All);
        var child = root.Derive(Rights.Call | Rights.Grant);
        var grandchild = child.Derive(Rights.Call);
        Assert.True(grandchild.Allows(Rights.Call));
        space.RevokeAll();
        Assert.False(root.IsValid);
        Assert.False(child.IsValid);
        Assert.False(grandchild.Allows(Rights.Call));
        Assert.Throws<CapabilityDeniedException>(() => child.Derive(Rights.Call));
    }

    [Fact]
    public void Allows_NoneOrMissingRight_IsFalse()
    {
        var capability = Root(Rights.Read);
        Assert.False(capability.Allows(Rights.None));
        Assert.False(capability.Allows(Rights.Write));
        Assert.True(capability.Allows(Rights.Read));
    }
}
