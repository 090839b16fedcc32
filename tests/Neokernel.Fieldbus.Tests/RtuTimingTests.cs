using FsCheck;
using FsCheck.Fluent;
using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

public sealed class RtuTimingTests
{
    [Fact]
    public void CharacterBits_CountsStartDataParityStop()
    {
        Assert.Equal(11, new SerialLineSettings(9600, SerialParity.Even).CharacterBits);
        Assert.Equal(11, new SerialLineSettings(9600, SerialParity.None, StopBits: 2).CharacterBits);
        Assert.Equal(10, new SerialLineSettings(9600, SerialParity.None).CharacterBits);
        Assert.Equal(10, new SerialLineSettings(9600, SerialParity.Odd, DataBits: 7).CharacterBits);
    }

    [Fact]
    public void Timing_At9600Even_IsThreeAndAHalfAndOneAndAHalfCharacters()
    {
        var line = new SerialLineSettings(9600, SerialParity.Even);
        // 11 bits at 9600 baud: 1,145,833.3 ns per character, rounded up.
        Assert.Equal(1_145_834, RtuTiming.CharacterTimeNs(line));
        Assert.Equal(4_010_417, RtuTiming.InterFrameSilenceNs(line));
        Assert.Equal(1_718_750, RtuTiming.InterCharacterTimeoutNs(line));
    }

    [Fact]
    public void Timing_At19200_StillScales_Above_IsFixed()
    {
        Assert.Equal(2_005_209, RtuTiming.InterFrameSilenceNs(new SerialLineSettings(19_200)));
        Assert.Equal(1_750_000, RtuTiming.InterFrameSilenceNs(new SerialLineSettings(19_201)));
        Assert.Equal(1_750_000, RtuTiming.InterFrameSilenceNs(new SerialLineSettings(115_200, SerialParity.None)));
        Assert.Equal(750_000, RtuTiming.InterCharacterTimeoutNs(new SerialLineSettings(115_200)));
    }

    [Fact]
    public void Timing_BadSettings_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuTiming.InterFrameSilenceNs(new SerialLineSettings(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuTiming.InterFrameSilenceNs(new SerialLineSettings(9600, DataBits: 9)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuTiming.InterFrameSilenceNs(new SerialLineSettings(9600, StopBits: 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuTiming.CharacterTimeNs(new SerialLineSettings(9600, (SerialParity)7)));
    }

    /// <summary>The frame silence is always longer than the character gap, never shorter than 3.5 characters at or below 19,200 baud, and never grows with the baud rate for characters of 10 bits or more (below that, 3.5 characters at 19,200 baud are shorter than the fixed 1.75 ms that follows).</summary>
    [Fact]
    public void Timing_OverAllLines_IsOrderedAndMonotonic()
    {
        var lines =
            from baud in Gen.Choose(50, 1_000_000)
            from parity in Gen.Elements(SerialParity.None, SerialParity.Even, SerialParity.Odd)
            from stopBits in Gen.Choose(1, 2)
            from dataBits in Gen.Choose(7, 8)
            select new SerialLineSettings(baud, parity, dataBits, stopBits);
        Prop.ForAll(lines.ToArbitrary(), line =>
        {
            var silenceNs = RtuTiming.InterFrameSilenceNs(line);
            var gapNs = RtuTiming.InterCharacterTimeoutNs(line);
            var characterNs = RtuTiming.CharacterTimeNs(line);
            var faster = RtuTiming.InterFrameSilenceNs(line with { BaudRate = line.BaudRate + 1 });
            var scaled = line.BaudRate <= RtuTiming.ScaledTimingBaudRateMax;
            return silenceNs > gapNs
                && (line.CharacterBits < 10 || faster <= silenceNs)
                && (!scaled || (silenceNs * 2 >= characterNs * 7 - 7 && gapNs * 2 >= characterNs * 3 - 3))
                && (scaled || silenceNs == RtuTiming.InterFrameSilenceNsFixed);
        }).QuickCheckThrowOnFailure();
    }
}
