using Neokernel.Kernel.Platform;

namespace Neokernel.Testing;

/// <summary>
/// A clock that moves only when the test moves it, as NodaTime's FakeClock: for code that takes an
/// <see cref="IClock"/> (a trace, a model's timestamps) and must be tested at chosen times. It
/// never goes back, as no platform clock does.
/// </summary>
public sealed class FakeClock : IClock
{
    private long nowNs;

    public FakeClock(long startNs = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startNs);
        nowNs = startNs;
    }

    public long NowNs => Volatile.Read(ref nowNs);

    /// <summary>Moves the clock on by <paramref name="deltaNs"/> (0 or more).</summary>
    public void Advance(long deltaNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deltaNs);
        Interlocked.Add(ref nowNs, deltaNs);
    }

    /// <summary>Moves the clock to <paramref name="timeNs"/>, which must not be before now.</summary>
    public void AdvanceTo(long timeNs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeNs, NowNs);
        Volatile.Write(ref nowNs, timeNs);
    }
}
