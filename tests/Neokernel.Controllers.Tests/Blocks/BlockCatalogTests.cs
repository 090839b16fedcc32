using Neokernel.Controllers.Blocks;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class BlockCatalogTests
{
    public static TheoryData<string> TypeNames => [.. BlockCatalog.Descriptors.Select(d => d.TypeName)];

    [Fact]
    public void Catalog_holds_the_iec_and_process_blocks()
    {
        string[] expected = ["TON", "TOF", "TP", "R_TRIG", "F_TRIG", "CTU", "CTD", "CTUD", "SR", "RS", "RAMP", "LAG", "DEADBAND", "HYSTERESIS", "SCALE", "MOVAVG", "TOTAL", "ALARM", "DELAY", "PID", "MIN_SEL", "MAX_SEL", "RATIO", "SPLIT"];
        Assert.Equal(expected, BlockCatalog.Descriptors.Select(d => d.TypeName));
        Assert.Equal(["DELAY"], BlockCatalog.Descriptors.Where(d => d.IsDelay).Select(d => d.TypeName));
    }

    [Fact]
    public void No_block_type_names_a_pin_or_state_and_a_parameter_alike()
    {
        // A manifest row writes inputs and parameters as columns of one row: a name must say which.
        foreach (var descriptor in BlockCatalog.Descriptors)
        {
            // Commands name pins, state and parameters alike (block.NAME): a parameter's name is its own.
            var pins = descriptor.Inputs.Concat(descriptor.Outputs).Concat(descriptor.State).Select(p => p.Name.ToUpperInvariant());
            Assert.Empty(pins.Intersect(descriptor.Parameters.Select(p => p.Name.ToUpperInvariant())));
            Assert.DoesNotContain(descriptor.Inputs, p => p.Name.Equals("name", StringComparison.OrdinalIgnoreCase) || p.Name.Equals("type", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(descriptor.Parameters, p => p.Name.Equals("name", StringComparison.OrdinalIgnoreCase) || p.Name.Equals("type", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Descriptor_is_complete_and_its_defaults_build(string typeName)
    {
        Assert.True(BlockCatalog.TryGet(typeName.ToLowerInvariant(), out var descriptor));
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Description));
        Assert.NotEmpty(descriptor.Outputs);
        foreach (var pin in descriptor.Inputs.Concat(descriptor.Outputs))
        {
            Assert.Equal(pin.Type, pin.Default.Type);
            Assert.False(string.IsNullOrWhiteSpace(pin.Description));
        }

        foreach (var parameter in descriptor.Parameters)
        {
            Assert.True(parameter.Allows(parameter.Default), $"{typeName}.{parameter.Name}: default {parameter.Default} outside {parameter.AllowedRange}");
            Assert.False(string.IsNullOrWhiteSpace(parameter.Description));
        }

        var names = descriptor.Inputs.Concat(descriptor.Outputs).Select(p => p.Name).Concat(descriptor.Parameters.Select(p => p.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        var block = BlockCatalog.Create(typeName, "b");
        Assert.Same(descriptor, block.Descriptor);
        Assert.Equal("b", block.Name);
    }

    [Fact]
    public void Create_names_an_unknown_type_and_lists_the_known_ones()
    {
        var exception = Assert.Throws<ArgumentException>(() => BlockCatalog.Create("TONN", "t1"));
        Assert.Contains("'t1'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("TONN", exception.Message, StringComparison.Ordinal);
        Assert.Contains("TON, TOF", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RAMP", "RATE_UP", 0.0, "a finite REAL above 0")]
    [InlineData("RAMP", "RATE_DOWN", -1.0, "above 0")]
    [InlineData("RAMP", "OUT_MIN", double.NaN, "any finite REAL")]
    [InlineData("DEADBAND", "WIDTH", -0.5, "a finite REAL of at least 0")]
    [InlineData("ALARM", "DEADBAND", double.PositiveInfinity, "finite")]
    public void Out_of_range_parameter_is_refused_with_block_parameter_value_and_range(string typeName, string parameter, double value, string allowed)
    {
        var error = BuildError(typeName, Real(parameter, value));
        Assert.Equal(BlockNetworkErrorKind.InvalidParameter, error.Kind);
        Assert.Equal("block", error.BlockName);
        Assert.Equal(parameter, error.Pin);
        Assert.Contains("'block'", error.Message, StringComparison.Ordinal);
        Assert.Contains(parameter, error.Message, StringComparison.Ordinal);
        Assert.Contains(BlockValue.Real(value).ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains(allowed, error.Message, StringComparison.Ordinal);

        var exception = Assert.Throws<ArgumentException>(() => BlockCatalog.Create(typeName, "block", Real(parameter, value)));
        Assert.Equal(error.Message, exception.Message.Split(" (Parameter")[0]);
        Assert.Equal(parameter, exception.ParamName);
    }

    [Theory]
    [InlineData("RAMP", "OUT_MIN", "below OUT_MAX", "OUT_MIN", 5.0, "OUT_MAX", 5.0)]
    [InlineData("RAMP", "INITIAL", "within OUT_MIN..OUT_MAX", "INITIAL", 20.0, "OUT_MAX", 10.0)]
    [InlineData("HYSTERESIS", "LOW", "below HIGH", "LOW", 3.0, "HIGH", 2.0)]
    [InlineData("SCALE", "RAW_MAX", "different from RAW_MIN", "RAW_MIN", 4.0, "RAW_MAX", 4.0)]
    [InlineData("SCALE", "RAW_MAX", "by a finite amount", "RAW_MIN", -1.7e308, "RAW_MAX", 1.7e308)]
    [InlineData("SCALE", "ENG_MAX", "finite distance", "ENG_MIN", -1.7e308, "ENG_MAX", 1.7e308)]
    [InlineData("ALARM", "H_LIMIT", "at most HH_LIMIT", "H_LIMIT", 101.0, "HH_LIMIT", 100.0)]
    [InlineData("ALARM", "LL_LIMIT", "at most L_LIMIT", "LL_LIMIT", 15.0, "L_LIMIT", 10.0)]
    public void Parameters_that_do_not_fit_each_other_are_refused(string typeName, string blamed, string allowed, string first, double firstValue, string second, double secondValue)
    {
        var error = BuildError(typeName, Real(first, firstValue), Real(second, secondValue));
        Assert.Equal(BlockNetworkErrorKind.InvalidParameter, error.Kind);
        Assert.Equal(blamed, error.Pin);
        Assert.Contains($"block 'block' ({typeName}): parameter {blamed} = ", error.Message, StringComparison.Ordinal);
        Assert.Contains(allowed, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_and_time_parameters_are_range_checked()
    {
        var window = BuildError("MOVAVG", Dint("WINDOW", 0));
        Assert.Contains("WINDOW = 0 (DINT) is not allowed: it must be a DINT from 1 to 4096", window.Message, StringComparison.Ordinal);
        Assert.Equal(BlockNetworkErrorKind.InvalidParameter, BuildError("MOVAVG", Dint("WINDOW", BlockLimits.MovingAverageWindowMax + 1)).Kind);
        var delay = BuildError("ALARM", Time("DELAY", -1));
        Assert.Contains("DELAY = T#-1ns (TIME)", delay.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_duplicate_and_mistyped_parameters_are_reported()
    {
        var unknown = BuildError("TON", Real("PT", 1.0));
        Assert.Equal(BlockNetworkErrorKind.UnknownParameter, unknown.Kind);
        Assert.Contains("its parameters: none", unknown.Message, StringComparison.Ordinal);

        var mistyped = BuildError("LAG", Real("TIME_CONSTANT", 1.0));
        Assert.Equal(BlockNetworkErrorKind.TypeMismatch, mistyped.Kind);
        Assert.Contains("TIME_CONSTANT = 1 (REAL)", mistyped.Message, StringComparison.Ordinal);
        Assert.Contains("a TIME from", mistyped.Message, StringComparison.Ordinal);

        var twice = BuildError("LAG", Time("TIME_CONSTANT", 1), Time("time_constant", 2));
        Assert.Equal(BlockNetworkErrorKind.DuplicateParameter, twice.Kind);
    }

    [Fact]
    public void Values_print_as_iec_literals_and_refuse_the_wrong_type()
    {
        Assert.Equal("TRUE", BlockValue.Bool(true).ToString());
        Assert.Equal("T#1.5s", BlockValue.TimeFromSeconds(1.5).ToString());
        Assert.Equal("T#1500ns", BlockValue.Time(1500).ToString());
        Assert.Equal("-7", BlockValue.Dint(-7).ToString());
        Assert.Throws<InvalidOperationException>(() => BlockValue.Real(1).AsBool);
    }
}
