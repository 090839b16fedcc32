using System.Diagnostics;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Controllers;

/// <summary>A change of a loop's actual mode, and the trigger that caused it.</summary>
public readonly record struct LoopModeChange(LoopMode From, LoopMode To, LoopModeTrigger Cause);

/// <summary>
/// One loop's mode machine on the data plane: the target mode, the conditions and the actual mode,
/// moved by <see cref="LoopModeTable"/>'s rows. Allocation-free: a trigger is a table lookup, so
/// the cyclic path can fire the edges of input quality it sees, and the command handler the
/// operator's requests.
/// </summary>
/// <remarks>
/// Stateless is not used here, and on purpose: its <c>Fire</c> allocates (the transition object,
/// the guard evaluations' collections), and a quality edge is found on the cyclic path, a command
/// on the endpoint's handler, both of which must not allocate. Stateless builds the same table as
/// a machine (<see cref="LoopModeTable.ToStateMachine"/>) on the control plane, where the tests
/// drive both side by side and the docs are drawn from it.
/// </remarks>
public sealed class LoopModeMachine
{
    private LoopModeConditions conditions;

    /// <param name="badInputPolicy">What bad input leads to: <see cref="LoopMode.Hold"/> or <see cref="LoopMode.SafeState"/>.</param>
    /// <param name="target">The mode at start: Manual, Auto or Cascade.</param>
    /// <param name="remoteSetpointBad">Whether the remote setpoint is bad at start (a loop not yet wired has none).</param>
    public LoopModeMachine(BadInputPolicy badInputPolicy, PidMode target = PidMode.Auto, bool remoteSetpointBad = true)
    {
        if (badInputPolicy is not (BadInputPolicy.Hold or BadInputPolicy.SafeState))
        {
            throw new ArgumentOutOfRangeException(nameof(badInputPolicy), badInputPolicy, "the bad-input policy is Hold or SafeState");
        }

        RequireOperatorMode(target, nameof(target));
        Target = target;
        conditions = (badInputPolicy == BadInputPolicy.SafeState ? LoopModeConditions.SafeStatePolicy : LoopModeConditions.None)
            | (remoteSetpointBad ? LoopModeConditions.RemoteSetpointBad : LoopModeConditions.None)
            | (target == PidMode.Cascade ? LoopModeConditions.TargetCascade : LoopModeConditions.None);
        Mode = LoopModeTable.ModeFor(target, conditions);
    }

    /// <summary>The actual mode.</summary>
    public LoopMode Mode { get; private set; }

    /// <summary>The operator's mode: Manual, Auto or Cascade.</summary>
    public PidMode Target { get; private set; }

    /// <summary>What the guards read now.</summary>
    public LoopModeConditions Conditions => conditions;

    /// <summary>The trigger of the last change of <see cref="Mode"/>; None before the first.</summary>
    public LoopModeTrigger LastCause { get; private set; }

    /// <summary>Changes of <see cref="Mode"/> so far.</summary>
    public long Changes { get; private set; }

    /// <summary>
    /// Applies a trigger: the target or a condition changes, then the table says where the mode
    /// goes. True, with the change, when the actual mode changed. A trigger that changes nothing
    /// (input bad while it already is) is no event and returns false.
    /// </summary>
    public bool Fire(LoopModeTrigger trigger, out LoopModeChange change)
    {
        change = default;
        var target = Target;
        var next = Apply(trigger, conditions, ref target);
        if (next == conditions && target == Target)
        {
            return false;
        }

        if (!LoopModeTable.TryFind(Mode, trigger, next, out var transition))
        {
            // Only a wrong table gets here (the table's tests walk every reachable state): say so loudly.
            throw new InvalidOperationException($"the mode table has no row for {trigger} in {Mode} with {next}");
        }

        conditions = next;
        Target = target;
        var from = Mode;
        Mode = transition.To;
        AssertInvariants();
        if (from == Mode)
        {
            return false;
        }

        LastCause = trigger;
        Changes++;
        change = new LoopModeChange(from, Mode, trigger);
        return true;
    }

    /// <summary>What a trigger makes of the conditions and the target.</summary>
    public static LoopModeConditions Apply(LoopModeTrigger trigger, LoopModeConditions conditions, ref PidMode target)
    {
        switch (trigger)
        {
            case LoopModeTrigger.OperatorManual:
                target = PidMode.Manual;
                return conditions & ~LoopModeConditions.TargetCascade;
            case LoopModeTrigger.OperatorAuto:
                target = PidMode.Auto;
                return conditions & ~LoopModeConditions.TargetCascade;
            case LoopModeTrigger.OperatorCascade:
                target = PidMode.Cascade;
                return conditions | LoopModeConditions.TargetCascade;
            case LoopModeTrigger.TrackingOn:
                return conditions | LoopModeConditions.Tracking;
            case LoopModeTrigger.TrackingOff:
                return conditions & ~LoopModeConditions.Tracking;
            case LoopModeTrigger.InputBad:
                return conditions | LoopModeConditions.InputBad;
            case LoopModeTrigger.InputRecovered:
                return conditions & ~LoopModeConditions.InputBad;
            case LoopModeTrigger.RemoteSetpointBad:
                return conditions | LoopModeConditions.RemoteSetpointBad;
            case LoopModeTrigger.RemoteSetpointRecovered:
                return conditions & ~LoopModeConditions.RemoteSetpointBad;
            default:
                throw new ArgumentOutOfRangeException(nameof(trigger), trigger, "not a trigger of the mode machine");
        }
    }

    /// <summary>The trigger of an operator's mode request; throws for Tracking, which is the wiring's.</summary>
    public static LoopModeTrigger OperatorTrigger(PidMode mode) => mode switch
    {
        PidMode.Manual => LoopModeTrigger.OperatorManual,
        PidMode.Auto => LoopModeTrigger.OperatorAuto,
        PidMode.Cascade => LoopModeTrigger.OperatorCascade,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "an operator chooses Manual, Auto or Cascade"),
    };

    private static void RequireOperatorMode(PidMode mode, string name)
    {
        if (mode is not (PidMode.Manual or PidMode.Auto or PidMode.Cascade))
        {
            throw new ArgumentOutOfRangeException(name, mode, "an operator's mode is Manual, Auto or Cascade");
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(Mode == LoopModeTable.ModeFor(Target, conditions), "the actual mode is what the rules give for the target and the conditions");
        Debug.Assert((Target == PidMode.Cascade) == ((conditions & LoopModeConditions.TargetCascade) != 0), "the target and its condition agree");
    }
}
