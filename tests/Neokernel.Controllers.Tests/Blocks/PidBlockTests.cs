using System.Collections.Immutable;
using Neokernel.Controllers.Blocks;
using Neokernel.Hil.Plants;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>The PID block: the controller's arithmetic through pins, its modes, and cascades wired with feedback inputs.</summary>
public sealed class PidBlockTests
{
    private const long Dt = 100 * BlockHarness.Millisecond;

    [Fact]
    public void In_auto_it_computes_what_the_controller_computes()
    {
        var pid = BlockHarness.Of("PID", BlockHarness.Real("KC", 2.5), BlockHarness.Time("TI", 20 * BlockHarness.Second), BlockHarness.Time("TD", BlockHarness.Second), BlockHarness.Real("INITIAL", 10));
        var reference = new PidController(new PidTuning(2.5, 20, 1, 10, 0, 100));
        reference.Reset(10);
        var values = pid.Values;
        pid.Network.Evaluate(0);
        Assert.Equal(10.0, Out(pid));
        for (var i = 0; i < 500; i++)
        {
            var pv = 40 + (10 * Math.Sin(i / 30.0));
            values.SetFromPointValue(pid.Network.Input("PV"), pv);
            values.SetFromPointValue(pid.Network.Input("SP"), 50);
            pid.Network.Evaluate(Dt);
            Assert.Equal(reference.Update(50, pv, 0.1), Out(pid));
        }
    }

    [Fact]
    public void Manual_goes_to_the_manual_output_and_auto_returns_without_a_bump()
    {
        var pid = BlockHarness.Of("PID", BlockHarness.Real("KC", 1), BlockHarness.Time("TI", 10 * BlockHarness.Second));
        Set(pid, "PV", 20);
        Set(pid, "SP", 30);
        for (var i = 0; i < 50; i++)
        {
            pid.Network.Evaluate(Dt);
        }

        Set(pid, "MAN", 1);
        Set(pid, "MAN_OUT", 42);
        pid.Network.Evaluate(Dt);
        Assert.Equal(42.0, Out(pid));
        Assert.True(pid.Values.Bools[pid.Network.Output("OPEN").Slot]);

        // Back in auto the output starts where manual left it and the integrator moves on from there.
        Set(pid, "MAN", 0);
        pid.Network.Evaluate(Dt);
        Assert.Equal(42.0, Out(pid));
        pid.Network.Evaluate(Dt);
        Assert.Equal(42.0 + (1.0 * 0.1 / 10 * (30 - 20)), Out(pid), 9);
        Assert.False(pid.Values.Bools[pid.Network.Output("OPEN").Slot]);
    }

    /// <summary>A saturated output says which limit holds it, and which way a setpoint would push it further; SP_USED is the setpoint of the update.</summary>
    [Theory]
    [InlineData(60.0, 100.0, true)]
    [InlineData(20.0, 0.0, false)]
    public void A_saturated_output_reports_its_limit_and_the_setpoint_direction_that_would_push_it_further(double setpoint, double output, bool high)
    {
        var pid = BlockHarness.Of("PID", BlockHarness.Real("KC", 100), BlockHarness.Time("TI", 10 * BlockHarness.Second), BlockHarness.Real("INITIAL", 50));
        Set(pid, "PV", 40);
        Set(pid, "SP", setpoint);
        pid.Step(0).Step(Dt).Step(Dt);
        Assert.Equal(output, Out(pid));
        Assert.Equal((high, !high), (pid.Bool("LIMIT_HI"), pid.Bool("LIMIT_LO")));
        Assert.Equal((high, !high), (pid.Bool("SP_BLOCK_HI"), pid.Bool("SP_BLOCK_LO")));
        Assert.Equal(setpoint, pid.Real("SP_USED"));
    }

    /// <summary>Back-calculation (BKCAL_ON) follows BKCAL_VAL, not TRACK_VAL, which only TRACK follows.</summary>
    [Fact]
    public void Back_calculation_follows_its_own_value()
    {
        var pid = BlockHarness.Of("PID", BlockHarness.Real("KC", 1), BlockHarness.Time("TI", 10 * BlockHarness.Second));
        Set(pid, "PV", 40);
        Set(pid, "SP", 50);
        Set(pid, "BKCAL_ON", 1);
        Set(pid, "BKCAL_VAL", 42);
        Set(pid, "TRACK_VAL", 7);
        pid.Step(0).Step(Dt);
        Assert.Equal(42.0, Out(pid));
    }

    [Fact]
    public void Clamping_chooses_conditional_integration()
    {
        var clamping = (PidBlock)BlockHarness.Of("PID", BlockHarness.Bool("CLAMPING", true)).Network.Block("block");
        var backCalculation = (PidBlock)BlockHarness.Of("PID").Network.Block("block");
        Assert.Equal((AntiWindup.Clamping, AntiWindup.BackCalculation), (clamping.Controller.Tuning.AntiWindup, backCalculation.Controller.Tuning.AntiWindup));
    }

    [Fact]
    public void Tracking_follows_its_value_and_wins_over_manual()
    {
        var pid = BlockHarness.Of("PID", BlockHarness.Real("KC", 1), BlockHarness.Time("TI", 10 * BlockHarness.Second));
        Set(pid, "MAN", 1);
        Set(pid, "MAN_OUT", 5);
        Set(pid, "TRACK", 1);
        Set(pid, "TRACK_VAL", 77);
        pid.Network.Evaluate(Dt);
        Assert.Equal(77.0, Out(pid));
    }

    [Fact]
    public void A_bad_process_value_holds_the_output()
    {
        var pid = BlockHarness.Of("PID", BlockHarness.Real("KC", 1), BlockHarness.Time("TI", 10 * BlockHarness.Second), BlockHarness.Real("INITIAL", 33));
        Set(pid, "PV", double.NaN);
        Set(pid, "SP", 50);
        for (var i = 0; i < 10; i++)
        {
            pid.Network.Evaluate(Dt);
        }

        Assert.Equal(33.0, Out(pid));
    }

    [Fact]
    public void A_feedback_input_reads_the_previous_cycle_whatever_the_order()
    {
        // outer reads inner.SP_USED through BKCAL_VAL while tracking; inner takes outer.OUT as its SP.
        var network = Build(
            [
                Block("inner", "PID", [], [new("SP", WireSource.Output("outer", "OUT")), new("PV", WireSource.External("pv"))]),
                Block("outer", "PID", [], [new("BKCAL_ON", WireSource.Value(BlockValue.Bool(true))), new("BKCAL_VAL", WireSource.Output("inner", "SP_USED"))]),
            ],
            [new ExternalInputSpec("pv", BlockValueType.Real)]);
        Assert.Equal(["outer", "inner"], network.EvaluationOrder.Select(b => b.Name));
        var outer = (PidBlock)network.Block("outer");
        var inner = (PidBlock)network.Block("inner");
        network.Values.SetFromPointValue(network.Input("pv"), 5);
        network.Evaluate(0);

        // Cycle 1: outer tracks inner's SP_USED of before the cycle (0), inner then uses outer's OUT.
        network.Evaluate(Dt);
        Assert.Equal(0.0, outer.Controller.Output);
        Assert.Equal(0.0, inner.Controller.SetpointInUse);
    }

    [Fact]
    public void In_a_cascade_the_inner_limit_stops_the_outer_integrator()
    {
        var blocked = RunCascadeWhileInnerSaturates(feedback: true);
        var free = RunCascadeWhileInnerSaturates(feedback: false);

        // 200 s of an error of 0.5 at KC 1.5, TI 300 s: the free integrator gains 0.5; the blocked one stays.
        Assert.True(free > 0.45, $"without feedback the outer integrator winds up to {free}");
        Assert.True(blocked < 0.001, $"with feedback the outer integrator stays (one step before the first feedback arrives): {blocked}");
    }

    /// <summary>
    /// Two tanks in series: the outer PID holds the lower level by setting the upper level's
    /// setpoint, the inner PID holds the upper level with the pump. From empty to 1.0 m: the
    /// fill saturates the pump for minutes, where an outer loop without the windup feedback would overshoot.
    /// </summary>
    [Fact]
    public void A_cascade_on_two_tanks_settles_without_overshooting()
    {
        var (overshoot, settle) = TwoTankCascade(feedback: true);
        var (overshootFree, _) = TwoTankCascade(feedback: false);

        Assert.True(overshoot < 0.05, $"overshoot {overshoot:P1} of the 1.0 m step, at most 5 %");
        Assert.True(settle < 1500, $"settled within ±2 % after {settle} s, at most 1500 s");
        Assert.True(overshootFree > overshoot, $"the windup feedback lowers the overshoot ({overshoot:P1} with, {overshootFree:P1} without)");
    }

    [Fact]
    public void A_cascade_cycle_allocates_nothing()
    {
        var network = CascadeNetwork(feedback: true);
        network.Values.SetFromPointValue(network.Input("lower"), 0.2);
        network.Values.SetFromPointValue(network.Input("upper"), 0.3);
        for (var i = 0; i < 100; i++)
        {
            network.Evaluate(Dt);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            network.Values.SetFromPointValue(network.Input("lower"), 0.2 + (i * 1e-5));
            network.Evaluate(Dt);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static (double Overshoot, double SettleSeconds) TwoTankCascade(bool feedback)
    {
        var network = CascadeNetwork(feedback);
        var plant = new TwoTankModel(TwoTankParameters.Default, 0.1);
        const double setpoint = 1.0;
        var peak = 0.0;
        var lastOutside = 0.0;
        network.Evaluate(0);
        for (var step = 1; step <= 30_000; step++)
        {
            network.Values.SetFromPointValue(network.Input("lower"), plant.LowerLevelMeters);
            network.Values.SetFromPointValue(network.Input("upper"), plant.UpperLevelMeters);
            network.Evaluate(Dt);
            plant.PumpPercent = network.Values.GetPointValue(network.Output("pump"));
            plant.Step(0.1);
            peak = Math.Max(peak, plant.LowerLevelMeters);
            if (Math.Abs(plant.LowerLevelMeters - setpoint) > 0.02 * setpoint)
            {
                lastOutside = step * 0.1;
            }
        }

        return ((peak - setpoint) / setpoint, lastOutside);
    }

    private static BlockNetwork CascadeNetwork(bool feedback)
    {
        ImmutableArray<InputWire> back = feedback
            ? [new("BLOCK_HI", WireSource.Output("inner", "SP_BLOCK_HI")), new("BLOCK_LO", WireSource.Output("inner", "SP_BLOCK_LO")),
               new("BKCAL_ON", WireSource.Output("inner", "OPEN")), new("BKCAL_VAL", WireSource.Output("inner", "SP_USED"))]
            : [];
        return Build(
            [
                Block(
                    "outer",
                    "PID",
                    [BlockHarness.Real("KC", 1.5), BlockHarness.Time("TI", 300 * BlockHarness.Second), BlockHarness.Real("OUT_MAX", 2.0)],
                    [new("PV", WireSource.External("lower")), new("SP", WireSource.Value(BlockValue.Real(1.0))), .. back]),
                Block(
                    "inner",
                    "PID",
                    [BlockHarness.Real("KC", 200), BlockHarness.Time("TI", 100 * BlockHarness.Second)],
                    [new("PV", WireSource.External("upper")), new("SP", WireSource.Output("outer", "OUT"))]),
            ],
            [new ExternalInputSpec("lower", BlockValueType.Real), new ExternalInputSpec("upper", BlockValueType.Real)],
            [new ExternalOutputSpec("pump", WireSource.Output("inner", "OUT"))]);
    }

    /// <summary>The inner loop's PV stays far below its setpoint, so its output sits at 100 %; returns the outer integral term after 200 s.</summary>
    private static double RunCascadeWhileInnerSaturates(bool feedback)
    {
        var network = CascadeNetwork(feedback);
        network.Values.SetFromPointValue(network.Input("lower"), 0.5);
        network.Values.SetFromPointValue(network.Input("upper"), 0.0);
        network.Evaluate(0);
        for (var i = 0; i < 2_000; i++)
        {
            network.Evaluate(Dt);
        }

        return ((PidBlock)network.Block("outer")).Controller.IntegralTerm;
    }

    private static BlockInstanceSpec Block(string name, string type, ImmutableArray<ParameterSetting> parameters, ImmutableArray<InputWire> inputs) =>
        new(name, type, parameters, inputs);

    private static BlockNetwork Build(ImmutableArray<BlockInstanceSpec> blocks, ImmutableArray<ExternalInputSpec> inputs = default, ImmutableArray<ExternalOutputSpec> outputs = default)
    {
        var result = BlockNetworkBuilder.Build(new BlockNetworkSpec(blocks, inputs.IsDefault ? [] : inputs, outputs.IsDefault ? [] : outputs));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        return result.Network!;
    }

    private static void Set(BlockHarness harness, string input, double value) =>
        harness.Values.SetFromPointValue(harness.Network.Input(input), value);

    private static double Out(BlockHarness harness) => harness.Values.GetPointValue(harness.Network.Output("OUT"));
}
