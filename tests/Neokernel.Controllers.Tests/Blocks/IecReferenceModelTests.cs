using FsCheck;
using FsCheck.Fluent;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>
/// The timers and counters against small reference models written from the IEC 61131-3
/// definitions, over random input sequences. The models keep absolute time (the sum of the dts)
/// and a start instant, as the standard's ET = now − start does; the blocks count per cycle.
/// </summary>
public sealed class IecReferenceModelTests
{
    /// <summary>One cycle's inputs: IN (or CU), a second and third BOOL (CD, R, LD), the preset and the dt.</summary>
    public readonly record struct Cycle(bool A, bool B, bool C, bool D, long PresetNs, int PresetCount, long DtNs);

    private static Gen<Cycle[]> Cycles =>
        from pt in Gen.Elements(-Millisecond, 0L, 10 * Millisecond, 25 * Millisecond, 100 * Millisecond)
        from count in Gen.Elements(-1, 0, 1, 3, int.MaxValue)
        from list in Gen.ListOf(
            from a in Gen.Frequency((3, Gen.Constant(true)), (2, Gen.Constant(false)))
            from b in Gen.Elements(false, true)
            from c in Gen.Frequency((1, Gen.Constant(true)), (8, Gen.Constant(false)))
            from d in Gen.Frequency((1, Gen.Constant(true)), (8, Gen.Constant(false)))
            from changePt in Gen.Frequency((1, Gen.Constant(true)), (15, Gen.Constant(false)))
            from newPt in Gen.Elements(0L, 5 * Millisecond, 30 * Millisecond)
            from dt in Gen.Elements(0L, Millisecond, 5 * Millisecond, 10 * Millisecond, 33 * Millisecond)
            select new Cycle(a, b, c, d, changePt ? newPt : -42, count, dt))
        select list.Select(c => c with { PresetNs = c.PresetNs == -42 ? pt : c.PresetNs }).ToArray();

    [Fact]
    public void Ton_matches_the_reference_model() => Check("TON", (cycles, timer) =>
    {
        long now = 0;
        long? start = null;
        foreach (var c in cycles)
        {
            now += c.DtNs;
            var pt = Math.Max(0, c.PresetNs);
            start = c.A ? start ?? now : null;
            var elapsed = start is { } s ? now - s : 0;
            timer.Set("IN", c.A).SetTime("PT", c.PresetNs).Step(c.DtNs);
            if (timer.Bool("Q") != (c.A && elapsed >= pt) || timer.Time("ET") != Math.Min(elapsed, pt))
            {
                return false;
            }
        }

        return true;
    });

    [Fact]
    public void Tof_matches_the_reference_model() => Check("TOF", (cycles, timer) =>
    {
        long now = 0;
        long? fellAt = null;
        var wasOn = false;
        foreach (var c in cycles)
        {
            now += c.DtNs;
            var pt = Math.Max(0, c.PresetNs);
            wasOn |= c.A;
            fellAt = c.A || !wasOn ? null : fellAt ?? now;
            var elapsed = fellAt is { } f ? now - f : 0;
            var q = c.A || (fellAt is not null && elapsed < pt);
            timer.Set("IN", c.A).SetTime("PT", c.PresetNs).Step(c.DtNs);
            if (timer.Bool("Q") != q || timer.Time("ET") != Math.Min(elapsed, pt))
            {
                return false;
            }
        }

        return true;
    });

    [Fact]
    public void Tp_matches_the_reference_model() => Check("TP", (cycles, timer) =>
    {
        long now = 0;
        long? pulseStart = null;
        var previousIn = false;
        var holding = false;
        foreach (var c in cycles)
        {
            now += c.DtNs;
            var pt = Math.Max(0, c.PresetNs);
            var rising = c.A && !previousIn;
            previousIn = c.A;
            pulseStart ??= rising && !holding ? now : null;
            bool q;
            long et;
            if (pulseStart is { } s && now - s < pt)
            {
                (q, et) = (true, now - s);
            }
            else if (pulseStart is not null)
            {
                (q, et, pulseStart, holding) = (false, pt, null, c.A);
            }
            else
            {
                holding &= c.A;
                (q, et) = (false, holding ? pt : 0);
            }

            timer.Set("IN", c.A).SetTime("PT", c.PresetNs).Step(c.DtNs);
            if (timer.Bool("Q") != q || timer.Time("ET") != et)
            {
                return false;
            }
        }

        return true;
    });

    [Fact]
    public void Ctu_matches_the_reference_model() => Check("CTU", (cycles, counter) =>
    {
        var cv = 0;
        var previousCu = false;
        foreach (var c in cycles)
        {
            var edge = c.A && !previousCu;
            previousCu = c.A;
            cv = c.C ? 0 : edge && cv < int.MaxValue ? cv + 1 : cv;
            counter.Set("CU", c.A).Set("R", c.C).Set("PV", c.PresetCount).Step(c.DtNs);
            if (counter.Dint("CV") != cv || counter.Bool("Q") != (cv >= c.PresetCount))
            {
                return false;
            }
        }

        return true;
    });

    [Fact]
    public void Ctd_matches_the_reference_model() => Check("CTD", (cycles, counter) =>
    {
        var cv = 0;
        var previousCd = false;
        foreach (var c in cycles)
        {
            var edge = c.A && !previousCd;
            previousCd = c.A;
            cv = c.D ? c.PresetCount : edge && cv > int.MinValue ? cv - 1 : cv;
            counter.Set("CD", c.A).Set("LD", c.D).Set("PV", c.PresetCount).Step(c.DtNs);
            if (counter.Dint("CV") != cv || counter.Bool("Q") != (cv <= 0))
            {
                return false;
            }
        }

        return true;
    });

    [Fact]
    public void Ctud_matches_the_reference_model() => Check("CTUD", (cycles, counter) =>
    {
        var cv = 0;
        var previousCu = false;
        var previousCd = false;
        foreach (var c in cycles)
        {
            var up = c.A && !previousCu;
            var down = c.B && !previousCd;
            (previousCu, previousCd) = (c.A, c.B);
            if (c.C)
            {
                cv = 0;
            }
            else if (c.D)
            {
                cv = c.PresetCount;
            }
            else if (!(up && down))
            {
                cv = up && cv < int.MaxValue ? cv + 1 : down && cv > int.MinValue ? cv - 1 : cv;
            }

            counter.Set("CU", c.A).Set("CD", c.B).Set("R", c.C).Set("LD", c.D).Set("PV", c.PresetCount).Step(c.DtNs);
            if (counter.Dint("CV") != cv || counter.Bool("QU") != (cv >= c.PresetCount) || counter.Bool("QD") != (cv <= 0))
            {
                return false;
            }
        }

        return true;
    });

    private static void Check(string typeName, Func<Cycle[], BlockHarness, bool> matches) =>
        Prop.ForAll(Cycles.ToArbitrary(), cycles => matches(cycles, Of(typeName))).QuickCheckThrowOnFailure();
}
