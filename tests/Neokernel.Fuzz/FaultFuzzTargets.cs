using System.Text;
using Neokernel.Cli.Campaigns;
using Neokernel.Rt.Faults;

namespace Neokernel.Fuzz;

/// <summary>
/// The readers of what a test engineer types: a fault schedule (<c>neokernel sim --faults</c>,
/// a campaign's replay command) and a campaign file. Whatever the bytes, each answers with a
/// result or its own error naming what is wrong, never another exception.
/// </summary>
public static class FaultFuzzTargets
{
    private const string CampaignFile = "fuzzed.yaml";

    /// <summary>
    /// FaultSchedule.Parse on the input as UTF-8: a parsed schedule is in time order and its text
    /// is canonical (it reads back to itself); anything else is a <see cref="FaultSyntaxException"/>.
    /// </summary>
    public static void FaultScheduleTarget(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        FaultSchedule schedule;
        try
        {
            schedule = FaultSchedule.Parse(text);
        }
        catch (FaultSyntaxException exception)
        {
            Require(exception.Problem.Length > 0, "a refused schedule says nothing about why");
            return;
        }

        for (var i = 1; i < schedule.Count; i++)
        {
            Require(schedule.Injections[i - 1].AtNs <= schedule.Injections[i].AtNs, "a schedule out of time order");
        }

        var canonical = schedule.ToString();
        FaultSchedule again;
        try
        {
            again = FaultSchedule.Parse(canonical);
        }
        catch (FaultSyntaxException exception)
        {
            throw new FuzzInvariantException($"a schedule's own text '{canonical}' does not read back: {exception.Problem}");
        }

        Require(again.ToString() == canonical, $"'{canonical}' reads back as '{again}'");
    }

    /// <summary>
    /// The campaign reader on the input as UTF-8 text: a spec or at least one diagnostic, never
    /// both; each diagnostic placed in the file (line and column from 0 up, 0 where no node holds
    /// it) and saying what is wrong and what is allowed.
    /// </summary>
    public static void CampaignFileTarget(ReadOnlySpan<byte> input)
    {
        var (spec, diagnostics) = CampaignReader.ReadText(Encoding.UTF8.GetString(input), CampaignFile);
        Require((spec is null) == (diagnostics.Count > 0), spec is null ? "a refused campaign without a diagnostic" : "a campaign read despite diagnostics");
        foreach (var diagnostic in diagnostics)
        {
            Require(diagnostic.Location.File == CampaignFile, "a diagnostic names another file");
            Require(diagnostic.Location.Line >= 0 && diagnostic.Location.Column >= 0, "a diagnostic at a negative line or column");
            Require(diagnostic.Field.Length > 0 && diagnostic.Problem.Length > 0 && diagnostic.Allowed.Length > 0, $"a diagnostic without its field, problem or what is allowed: {diagnostic}");
        }

        if (spec is not null)
        {
            Require(spec.Cells().Count <= CampaignReader.CellsMax, "a campaign read with more cells than the reader allows");
        }
    }

    private static void Require(bool condition, string message) => FuzzTargets.Require(condition, message);
}
