using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

/// <summary>
/// Calendar time from the kernel's clock: the paced platform reads the wall clock once beside its
/// monotonic origin (or keeps the one it is given, as a service host process does); the
/// simulation keeps the documented epoch, whatever the machine's clock says.
/// </summary>
public sealed class WallClockTests
{
    private const long SecondNs = 1_000_000_000;

    [Fact]
    public void Simulation_TimeZero_IsTheDocumentedEpoch()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        platform.RunUntil(3 * SecondNs);

        Assert.Equal(WallClock.SimulationEpochUnixNs, platform.Clock.WallClockAtZeroUnixNs);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), DateTime.UnixEpoch.AddTicks(WallClock.SimulationEpochUnixNs / 100));
        Assert.Equal(WallClock.SimulationEpochUnixNs + (3 * SecondNs), WallClock.NowUnixNs(platform.Clock));
        Assert.Equal(WallClock.SimulationEpochUnixNs + 5, WallClock.UnixNs(platform.Clock, 5));
    }

    [Fact]
    public void Paced_TimeZero_IsTheWallClockAtItsOrigin()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var nowUnixNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

        var derivedNowUnixNs = WallClock.NowUnixNs(platform.Clock);

        Assert.InRange(derivedNowUnixNs - nowUnixNs, -50_000_000, 50_000_000);
        Assert.Equal(platform.WallClockAtZeroUnixNs, platform.Clock.WallClockAtZeroUnixNs);
    }

    [Fact]
    public void Paced_GivenItsKernelsWallClock_KeepsIt()
    {
        using var kernel = new PacedPlatform(1, new NoDevices());
        using var child = new PacedPlatform(1, new NoDevices(), null, kernel.OriginNs, kernel.WallClockAtZeroUnixNs);

        Assert.Equal(kernel.Clock.WallClockAtZeroUnixNs, child.Clock.WallClockAtZeroUnixNs);
        Assert.Equal(kernel.OriginNs, child.OriginNs);
    }

    [Fact]
    public void Fakes_KeepTheSimulationEpoch()
    {
        Assert.Equal(WallClock.SimulationEpochUnixNs, ((IClock)new FakeClock()).WallClockAtZeroUnixNs);
    }
}
