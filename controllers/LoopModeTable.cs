using System.Collections.Immutable;
using System.Text;
using Stateless;
using Stateless.Graph;

namespace Neokernel.Controllers;

/// <summary>The conditions a loop's mode depends on besides its actual mode: what a transition's guard reads.</summary>
[Flags]
public enum LoopModeConditions : byte
{
    None = 0,

    /// <summary>The process value is bad.</summary>
    InputBad = 1,

    /// <summary>The wiring has tracking on.</summary>
    Tracking = 2,

    /// <summary>The remote setpoint is bad.</summary>
    RemoteSetpointBad = 4,

    /// <summary>The target (the operator's mode) is Cascade; without it Auto or Manual, which the actual mode tells apart.</summary>
    TargetCascade = 8,

    /// <summary>The manifest's <c>safeState.onBadInput</c> is <c>safe-state</c>; without it <c>hold</c>.</summary>
    SafeStatePolicy = 16,
}

/// <summary>
/// One row of the mode table: in <see cref="From"/>, on <see cref="Trigger"/>, when the conditions
/// (after the trigger changed them) include every one of <see cref="Required"/> and none of
/// <see cref="Forbidden"/>, the loop goes to <see cref="To"/>. <see cref="To"/> = <see cref="From"/>
/// is an ignored trigger: the target or a condition changes, the actual mode does not.
/// </summary>
public readonly record struct LoopModeTransition(LoopMode From, LoopModeTrigger Trigger, LoopModeConditions Required, LoopModeConditions Forbidden, LoopMode To)
{
    public bool Holds(LoopModeConditions conditions) => (conditions & Required) == Required && (conditions & Forbidden) == 0;

    /// <summary>The guard in words, for the docs and the Stateless description: "input bad, not tracking".</summary>
    public string GuardText()
    {
        var parts = new List<string>();
        foreach (var condition in Enum.GetValues<LoopModeConditions>())
        {
            if (condition == LoopModeConditions.None)
            {
                continue;
            }

            if ((Required & condition) != 0)
            {
                parts.Add(LoopModeTable.ConditionText(condition, true));
            }
            else if ((Forbidden & condition) != 0)
            {
                parts.Add(LoopModeTable.ConditionText(condition, false));
            }
        }

        return parts.Count == 0 ? "always" : string.Join(", ", parts);
    }
}

/// <summary>
/// The loop's modes as one table: every transition a loop may take, which the cyclic path looks up
/// (allocation-free) and from which a Stateless machine is built to check the table (exactly one
/// row holds wherever a trigger can arrive) and to draw it (<see cref="ToMermaid"/>, docs/LOOP-MODES.md).
/// </summary>
/// <remarks>
/// The rules the rows spell out, most important first:
/// <list type="number">
/// <item>Manual is the operator's: only an operator leaves it. Bad input, tracking and the remote
/// setpoint do not touch a loop in manual (an operator can drive a loop whose sensor failed).</item>
/// <item>Bad input beats everything else outside manual: the loop goes to Hold or SafeState as
/// its manifest says, and stays there until the input recovers or an operator takes manual.</item>
/// <item>Tracking (the wiring's) beats auto and cascade.</item>
/// <item>Cascade needs a good remote setpoint. Without one the loop sheds to Auto, the target stays
/// Cascade, and when the remote setpoint recovers it returns to Cascade by itself ("normal shed,
/// normal return" in Foundation Fieldbus terms): the return is bumpless, the integrator absorbs
/// the change of setpoint.</item>
/// <item>Otherwise the actual mode is the target.</item>
/// </list>
/// An operator's Auto or Cascade in Hold, SafeState or Tracking changes only the target: the loop
/// goes there when what holds it lets go.
/// </remarks>
public static class LoopModeTable
{
    private const LoopModeConditions InputBad = LoopModeConditions.InputBad;
    private const LoopModeConditions Tracking = LoopModeConditions.Tracking;
    private const LoopModeConditions RemoteBad = LoopModeConditions.RemoteSetpointBad;
    private const LoopModeConditions Cascade = LoopModeConditions.TargetCascade;
    private const LoopModeConditions Safe = LoopModeConditions.SafeStatePolicy;
    private const LoopModeConditions None = LoopModeConditions.None;

    private static readonly int TriggerCount = Enum.GetValues<LoopModeTrigger>().Length;

    /// <summary>Every row, grouped by (from, trigger); the groups' order is the docs' order.</summary>
    public static ImmutableArray<LoopModeTransition> Rows { get; } = BuildRows();

    /// <summary>For (from, trigger): the first row of its group in <see cref="Rows"/> and how many rows it has.</summary>
    private static readonly (int Start, int Count)[] Groups = BuildGroups();

    /// <summary>
    /// The row that holds for <paramref name="conditions"/> in (<paramref name="from"/>, <paramref name="trigger"/>),
    /// or false when the table has none: a trigger that cannot arrive in that state. Allocation-free.
    /// </summary>
    public static bool TryFind(LoopMode from, LoopModeTrigger trigger, LoopModeConditions conditions, out LoopModeTransition transition)
    {
        var (start, count) = Groups[((int)from * TriggerCount) + (int)trigger];
        var rows = Rows.AsSpan();
        for (var i = start; i < start + count; i++)
        {
            if (rows[i].Holds(conditions))
            {
                transition = rows[i];
                return true;
            }
        }

        transition = default;
        return false;
    }

    /// <summary>
    /// The mode the rules give for a target and conditions, whatever came before: the
    /// specification the table must agree with (the loop's tests check that every path through
    /// the table ends here).
    /// </summary>
    public static LoopMode ModeFor(PidMode target, LoopModeConditions conditions)
    {
        if (target == PidMode.Manual)
        {
            return LoopMode.Manual;
        }

        if ((conditions & InputBad) != 0)
        {
            return (conditions & Safe) != 0 ? LoopMode.SafeState : LoopMode.Hold;
        }

        if ((conditions & Tracking) != 0)
        {
            return LoopMode.Tracking;
        }

        return target == PidMode.Cascade && (conditions & RemoteBad) == 0 ? LoopMode.Cascade : LoopMode.Auto;
    }

    /// <summary>
    /// A Stateless machine with every row as a guarded transition (an ignored trigger where the
    /// mode stays), its guards reading <paramref name="conditions"/>. Control plane: for checking
    /// the table and for drawing it; firing allocates.
    /// </summary>
    public static StateMachine<LoopMode, LoopModeTrigger> ToStateMachine(LoopMode initial, Func<LoopModeConditions> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var machine = new StateMachine<LoopMode, LoopModeTrigger>(initial);
        foreach (var row in Rows)
        {
            var guard = row;
            var state = machine.Configure(row.From);
            if (row.To == row.From)
            {
                state.IgnoreIf(row.Trigger, () => guard.Holds(conditions()), row.GuardText());
            }
            else
            {
                state.PermitIf(row.Trigger, row.To, () => guard.Holds(conditions()), row.GuardText());
            }
        }

        return machine;
    }

    /// <summary>The table as a Mermaid state diagram (Stateless's), ignored triggers left out.</summary>
    public static string ToMermaid() => MermaidGraph.Format(ToStateMachine(LoopMode.Auto, () => None).GetInfo());

    /// <summary>docs/LOOP-MODES.md, generated from the rows so that the page and the code cannot disagree (a test compares them).</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("# Loop modes\n\n");
        text.Append("Generated from `controllers/LoopModeTable.cs` (a test checks this file equals it; `NEOKERNEL_WRITE_LOOP_MODES_MD=1`\n");
        text.Append("writes it). A `controllers.pid` loop's actual mode follows its operator's target mode (Manual, Auto,\n");
        text.Append("Cascade), its wiring's tracking switch and the quality of its inputs. Each row: in *from*, on\n");
        text.Append("*trigger*, when the *guard* holds (read after the trigger changed the conditions) the loop goes to\n");
        text.Append("*to*; *to* = *from* means the trigger changes the target or a condition, not the mode. A trigger\n");
        text.Append("without a row in a mode cannot arrive there (it would change no condition). Every change of the\n");
        text.Append("actual mode is traced (`mode` in [TRACE.md](TRACE.md)) with its trigger as the cause. Manual is\n");
        text.Append("left only by an operator; bad input beats tracking, tracking beats auto and cascade; cascade\n");
        text.Append("without a good remote setpoint sheds to auto and returns by itself.\n\n");
        text.Append("```mermaid\n").Append(ToMermaid().ReplaceLineEndings("\n").TrimEnd('\n')).Append("\n```\n\n");
        text.Append("| from | trigger | guard | to |\n");
        text.Append("| --- | --- | --- | --- |\n");
        foreach (var row in Rows)
        {
            var to = row.To == row.From ? $"{row.To} (stays)" : row.To.ToString();
            text.Append($"| {row.From} | {row.Trigger} | {row.GuardText()} | {to} |\n");
        }

        text.Append("\nWhat each change does to the output:\n\n");
        text.Append("| to | output |\n| --- | --- |\n");
        text.Append("| Manual | starts at the present output (the operator's output is set to it), then ramps to the operator's under the rate limit |\n");
        text.Append("| Auto, Cascade | bumpless: the integrator is re-based at the next update so the output goes on from where it is, and moves under the rate limit |\n");
        text.Append("| Tracking | ramps to the tracking value under the rate limit |\n");
        text.Append("| Hold | the last output stays, published Uncertain |\n");
        text.Append("| SafeState | the safe value at once (a safe state beats the actuator's rate limit), published Good |\n");
        return text.ToString();
    }

    internal static string ConditionText(LoopModeConditions condition, bool holds) => condition switch
    {
        InputBad => holds ? "input bad" : "input good",
        Tracking => holds ? "tracking" : "not tracking",
        RemoteBad => holds ? "remote setpoint bad" : "remote setpoint good",
        Cascade => holds ? "target cascade" : "target not cascade",
        Safe => holds ? "policy safe-state" : "policy hold",
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, "one condition"),
    };

    private static ImmutableArray<LoopModeTransition> BuildRows()
    {
        var rows = ImmutableArray.CreateBuilder<LoopModeTransition>();
        void Row(LoopMode from, LoopModeTrigger trigger, LoopModeConditions required, LoopModeConditions forbidden, LoopMode to) =>
            rows.Add(new LoopModeTransition(from, trigger, required, forbidden, to));

        // Bad input outside manual: the manifest's choice.
        void ToBadInputMode(LoopMode from, LoopModeTrigger trigger, LoopModeConditions required = None)
        {
            Row(from, trigger, required | InputBad, Safe, LoopMode.Hold);
            Row(from, trigger, required | InputBad | Safe, None, LoopMode.SafeState);
        }

        // Good input outside manual and tracking: the target, or Auto while cascade has no remote setpoint.
        void ToTarget(LoopMode from, LoopModeTrigger trigger, LoopModeConditions forbidden)
        {
            Row(from, trigger, None, forbidden | Cascade, LoopMode.Auto);
            Row(from, trigger, Cascade | RemoteBad, forbidden, LoopMode.Auto);
            Row(from, trigger, Cascade, forbidden | RemoteBad, LoopMode.Cascade);
        }

        // Manual: only an operator leaves it.
        ToBadInputMode(LoopMode.Manual, LoopModeTrigger.OperatorAuto);
        Row(LoopMode.Manual, LoopModeTrigger.OperatorAuto, Tracking, InputBad, LoopMode.Tracking);
        Row(LoopMode.Manual, LoopModeTrigger.OperatorAuto, None, InputBad | Tracking, LoopMode.Auto);
        ToBadInputMode(LoopMode.Manual, LoopModeTrigger.OperatorCascade);
        Row(LoopMode.Manual, LoopModeTrigger.OperatorCascade, Tracking, InputBad, LoopMode.Tracking);
        Row(LoopMode.Manual, LoopModeTrigger.OperatorCascade, RemoteBad, InputBad | Tracking, LoopMode.Auto);
        Row(LoopMode.Manual, LoopModeTrigger.OperatorCascade, None, InputBad | Tracking | RemoteBad, LoopMode.Cascade);
        foreach (var trigger in (ReadOnlySpan<LoopModeTrigger>)[LoopModeTrigger.TrackingOn, LoopModeTrigger.TrackingOff, LoopModeTrigger.InputBad,
                     LoopModeTrigger.InputRecovered, LoopModeTrigger.RemoteSetpointBad, LoopModeTrigger.RemoteSetpointRecovered])
        {
            Row(LoopMode.Manual, trigger, None, None, LoopMode.Manual);
        }

        // Auto: the target Auto, or Cascade shed for a bad remote setpoint.
        Row(LoopMode.Auto, LoopModeTrigger.OperatorManual, None, None, LoopMode.Manual);
        Row(LoopMode.Auto, LoopModeTrigger.OperatorAuto, None, None, LoopMode.Auto);
        Row(LoopMode.Auto, LoopModeTrigger.OperatorCascade, RemoteBad, None, LoopMode.Auto);
        Row(LoopMode.Auto, LoopModeTrigger.OperatorCascade, None, RemoteBad, LoopMode.Cascade);
        Row(LoopMode.Auto, LoopModeTrigger.TrackingOn, None, None, LoopMode.Tracking);
        ToBadInputMode(LoopMode.Auto, LoopModeTrigger.InputBad);
        Row(LoopMode.Auto, LoopModeTrigger.RemoteSetpointBad, None, None, LoopMode.Auto);
        Row(LoopMode.Auto, LoopModeTrigger.RemoteSetpointRecovered, Cascade, None, LoopMode.Cascade);
        Row(LoopMode.Auto, LoopModeTrigger.RemoteSetpointRecovered, None, Cascade, LoopMode.Auto);

        // Cascade: the target Cascade with everything good.
        Row(LoopMode.Cascade, LoopModeTrigger.OperatorManual, None, None, LoopMode.Manual);
        Row(LoopMode.Cascade, LoopModeTrigger.OperatorAuto, None, None, LoopMode.Auto);
        Row(LoopMode.Cascade, LoopModeTrigger.TrackingOn, None, None, LoopMode.Tracking);
        ToBadInputMode(LoopMode.Cascade, LoopModeTrigger.InputBad);
        Row(LoopMode.Cascade, LoopModeTrigger.RemoteSetpointBad, None, None, LoopMode.Auto);

        // Tracking: the wiring's, over Auto and Cascade.
        Row(LoopMode.Tracking, LoopModeTrigger.OperatorManual, None, None, LoopMode.Manual);
        Row(LoopMode.Tracking, LoopModeTrigger.OperatorAuto, None, None, LoopMode.Tracking);
        Row(LoopMode.Tracking, LoopModeTrigger.OperatorCascade, None, None, LoopMode.Tracking);
        ToTarget(LoopMode.Tracking, LoopModeTrigger.TrackingOff, None);
        ToBadInputMode(LoopMode.Tracking, LoopModeTrigger.InputBad);
        Row(LoopMode.Tracking, LoopModeTrigger.RemoteSetpointBad, None, None, LoopMode.Tracking);
        Row(LoopMode.Tracking, LoopModeTrigger.RemoteSetpointRecovered, None, None, LoopMode.Tracking);

        // Hold and SafeState: until the input recovers or an operator takes manual.
        foreach (var bad in (ReadOnlySpan<LoopMode>)[LoopMode.Hold, LoopMode.SafeState])
        {
            Row(bad, LoopModeTrigger.OperatorManual, None, None, LoopMode.Manual);
            Row(bad, LoopModeTrigger.OperatorAuto, None, None, bad);
            Row(bad, LoopModeTrigger.OperatorCascade, None, None, bad);
            Row(bad, LoopModeTrigger.TrackingOn, None, None, bad);
            Row(bad, LoopModeTrigger.TrackingOff, None, None, bad);
            Row(bad, LoopModeTrigger.InputRecovered, Tracking, None, LoopMode.Tracking);
            ToTarget(bad, LoopModeTrigger.InputRecovered, Tracking);
            Row(bad, LoopModeTrigger.RemoteSetpointBad, None, None, bad);
            Row(bad, LoopModeTrigger.RemoteSetpointRecovered, None, None, bad);
        }

        return rows.ToImmutable();
    }

    private static (int Start, int Count)[] BuildGroups()
    {
        var groups = new (int Start, int Count)[Enum.GetValues<LoopMode>().Length * TriggerCount];
        var rows = Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var key = ((int)rows[i].From * TriggerCount) + (int)rows[i].Trigger;
            var (start, count) = groups[key];
            if (count > 0 && start + count != i)
            {
                throw new InvalidOperationException($"the rows of {rows[i].From} on {rows[i].Trigger} are not together in the mode table");
            }

            groups[key] = count == 0 ? (i, 1) : (start, count + 1);
        }

        return groups;
    }
}
