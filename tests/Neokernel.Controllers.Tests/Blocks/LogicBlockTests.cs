using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class LogicBlockTests
{
    [Fact]
    public void RTrig_pulses_one_cycle_per_rising_edge_and_on_a_first_cycle_that_is_on()
    {
        var trig = Of("R_TRIG").Set("CLK", true).Step(0);
        Assert.True(trig.Bool("Q"));
        trig.Step(1);
        Assert.False(trig.Bool("Q"));
        trig.Set("CLK", false).Step(1);
        Assert.False(trig.Bool("Q"));
        trig.Set("CLK", true).Step(1);
        Assert.True(trig.Bool("Q"));
    }

    [Fact]
    public void FTrig_pulses_one_cycle_per_falling_edge_but_not_on_a_first_cycle_that_is_off()
    {
        var trig = Of("F_TRIG").Step(0);
        Assert.False(trig.Bool("Q"));
        trig.Set("CLK", true).Step(1);
        Assert.False(trig.Bool("Q"));
        trig.Set("CLK", false).Step(1);
        Assert.True(trig.Bool("Q"));
        trig.Step(1);
        Assert.False(trig.Bool("Q"));
    }

    [Fact]
    public void Sr_is_set_dominant_and_rs_reset_dominant()
    {
        var sr = Of("SR").Set("S1", true).Set("R", true).Step(0);
        Assert.True(sr.Bool("Q1"));
        sr.Set("S1", false).Step(0);
        Assert.False(sr.Bool("Q1"));
        sr.Set("R", false).Set("S1", true).Step(0).Set("S1", false).Step(0);
        Assert.True(sr.Bool("Q1"));

        var rs = Of("RS").Set("S", true).Set("R1", true).Step(0);
        Assert.False(rs.Bool("Q1"));
        rs.Set("R1", false).Step(0).Set("S", false).Step(0);
        Assert.True(rs.Bool("Q1"));
        rs.Set("R1", true).Step(0);
        Assert.False(rs.Bool("Q1"));
    }

    [Fact]
    public void Ctu_counts_rising_edges_and_resets()
    {
        var ctu = Of("CTU").Set("PV", 2).Set("CU", true).Step(0);
        Assert.Equal(1, ctu.Dint("CV"));
        ctu.Step(0);
        Assert.Equal(1, ctu.Dint("CV"));
        ctu.Set("CU", false).Step(0).Set("CU", true).Step(0);
        Assert.Equal(2, ctu.Dint("CV"));
        Assert.True(ctu.Bool("Q"));
        ctu.Set("R", true).Set("CU", false).Step(0);
        Assert.Equal(0, ctu.Dint("CV"));
        Assert.False(ctu.Bool("Q"));
    }

    [Fact]
    public void Ctu_detects_edges_while_reset_so_a_held_cu_does_not_count_after_it()
    {
        var ctu = Of("CTU").Set("PV", 5).Set("R", true).Set("CU", true).Step(0);
        ctu.Set("R", false).Step(0);
        Assert.Equal(0, ctu.Dint("CV"));
    }

    [Fact]
    public void Ctd_loads_pv_and_counts_down_to_q()
    {
        var ctd = Of("CTD").Set("PV", 2).Set("LD", true).Step(0);
        Assert.Equal(2, ctd.Dint("CV"));
        Assert.False(ctd.Bool("Q"));
        ctd.Set("LD", false).Set("CD", true).Step(0).Set("CD", false).Step(0).Set("CD", true).Step(0);
        Assert.Equal(0, ctd.Dint("CV"));
        Assert.True(ctd.Bool("Q"));
    }

    [Fact]
    public void Counters_stop_at_the_ends_of_dint()
    {
        var ctd = Of("CTD").Set("PV", int.MinValue).Set("LD", true).Step(0).Set("LD", false);
        ctd.Set("CD", true).Step(0);
        Assert.Equal(int.MinValue, ctd.Dint("CV"));

        var ctud = Of("CTUD").Set("PV", int.MaxValue).Set("LD", true).Step(0).Set("LD", false);
        ctud.Set("CU", true).Step(0);
        Assert.Equal(int.MaxValue, ctud.Dint("CV"));
        Assert.True(ctud.Bool("QU"));
    }

    [Fact]
    public void Ctud_counts_both_ways_ignores_simultaneous_edges_and_reset_beats_load()
    {
        var ctud = Of("CTUD").Set("PV", 3).Set("CU", true).Step(0);
        Assert.Equal(1, ctud.Dint("CV"));
        ctud.Set("CU", false).Step(0).Set("CU", true).Set("CD", true).Step(0);
        Assert.Equal(1, ctud.Dint("CV"));
        ctud.Set("CU", false).Step(0).Set("CD", false).Step(0).Set("CD", true).Step(0);
        Assert.Equal(0, ctud.Dint("CV"));
        Assert.True(ctud.Bool("QD"));
        ctud.Set("LD", true).Step(0);
        Assert.Equal(3, ctud.Dint("CV"));
        Assert.True(ctud.Bool("QU"));
        ctud.Set("R", true).Step(0);
        Assert.Equal(0, ctud.Dint("CV"));
    }
}
