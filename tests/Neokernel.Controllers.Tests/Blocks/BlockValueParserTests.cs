using Neokernel.Controllers.Blocks;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class BlockValueParserTests
{
    [Theory]
    [InlineData("T#1h2m3s", 3_723_000_000_000L)]
    [InlineData("t#1.5s", 1_500_000_000L)]
    [InlineData("TIME#250ms", 250_000_000L)]
    [InlineData("2d", 172_800_000_000_000L)]
    [InlineData("T#1_000us", 1_000_000L)]
    [InlineData("T#-10ms", -10_000_000L)]
    [InlineData("T#7ns", 7L)]
    [InlineData(" T#1m30s ", 90_000_000_000L)]
    public void Time_literals_parse_to_nanoseconds(string text, long nanoseconds)
    {
        Assert.True(BlockValueParser.TryParse(text, BlockValueType.Time, out var value, out var error), error);
        Assert.Equal(BlockValue.Time(nanoseconds), value);
    }

    [Theory]
    [InlineData("1.5", BlockValueType.Time)]
    [InlineData("T#", BlockValueType.Time)]
    [InlineData("T#5x", BlockValueType.Time)]
    [InlineData("T#1.2.3s", BlockValueType.Time)]
    [InlineData("T#999999999d", BlockValueType.Time)]
    [InlineData("T#99999999999999999999999999d", BlockValueType.Time)]
    [InlineData("T#9223372036s9223372036s", BlockValueType.Time)]
    [InlineData("yes", BlockValueType.Bool)]
    [InlineData("NaN", BlockValueType.Real)]
    [InlineData("1e999", BlockValueType.Real)]
    [InlineData("1,5", BlockValueType.Real)]
    [InlineData("2.5", BlockValueType.Dint)]
    [InlineData("3000000000", BlockValueType.Dint)]
    public void Malformed_literals_are_refused_saying_what_is_expected(string text, BlockValueType type)
    {
        Assert.False(BlockValueParser.TryParse(text, type, out _, out var error));
        Assert.StartsWith($"'{text}' is not a {BlockValue.TypeName(type)}: write ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bool_real_and_dint_literals_parse()
    {
        Assert.True(BlockValueParser.TryParse("true", BlockValueType.Bool, out var on, out _));
        Assert.Equal(BlockValue.Bool(true), on);
        Assert.True(BlockValueParser.TryParse("FALSE", BlockValueType.Bool, out var off, out _));
        Assert.Equal(BlockValue.Bool(false), off);
        Assert.True(BlockValueParser.TryParse("-2e3", BlockValueType.Real, out var real, out _));
        Assert.Equal(BlockValue.Real(-2000.0), real);
        Assert.True(BlockValueParser.TryParse("-42", BlockValueType.Dint, out var dint, out _));
        Assert.Equal(BlockValue.Dint(-42), dint);
    }

    [Fact]
    public void Build_treats_missing_arrays_as_empty()
    {
        var result = BlockNetworkBuilder.Build(new BlockNetworkSpec([new BlockInstanceSpec("t", "TON", default, default)], default, default));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
    }
}
