// In the contracts assembly, beside PidMode: a loop's status carries these numbers on the wire,
// and a gateway reads them without the controllers.
namespace Neokernel.Controllers;

/// <summary>
/// The mode a loop is actually in (a DCS block's actual mode), as its mode machine decides it
/// from the operator's target mode, its wiring and its inputs' quality. 0 to 3 are
/// <see cref="PidMode"/>'s numbers; 4 and 5 are what bad input leaves, as the manifest's
/// <c>safeState.onBadInput</c> says.
/// </summary>
public enum LoopMode : byte
{
    /// <summary>The operator's output.</summary>
    Manual = 0,

    /// <summary>The algorithm on the local setpoint (also a cascade loop whose remote setpoint is bad: shed).</summary>
    Auto = 1,

    /// <summary>The algorithm on the remote setpoint.</summary>
    Cascade = 2,

    /// <summary>The output follows the wiring's tracking value.</summary>
    Tracking = 3,

    /// <summary>The input is bad and the manifest says <c>hold</c>: the last output stays, published Uncertain.</summary>
    Hold = 4,

    /// <summary>The input is bad and the manifest says <c>safe-state</c>: the safe value, at once.</summary>
    SafeState = 5,
}

/// <summary>
/// What can move a loop's mode: an operator's request, the wiring's tracking switch, or an edge of
/// an input's quality. A mode change is traced with the trigger that caused it (its cause).
/// </summary>
public enum LoopModeTrigger : byte
{
    /// <summary>No mode change yet: the loop is in the mode it started in.</summary>
    None = 0,

    /// <summary>An operator asked for manual (target Manual).</summary>
    OperatorManual = 1,

    /// <summary>An operator asked for auto (target Auto).</summary>
    OperatorAuto = 2,

    /// <summary>An operator asked for cascade (target Cascade).</summary>
    OperatorCascade = 3,

    /// <summary>The wiring switched tracking on.</summary>
    TrackingOn = 4,

    /// <summary>The wiring switched tracking off.</summary>
    TrackingOff = 5,

    /// <summary>The process value became bad (Bad quality, a failed read, or not a finite number).</summary>
    InputBad = 6,

    /// <summary>The process value became usable again (Good or Uncertain and finite).</summary>
    InputRecovered = 7,

    /// <summary>The remote setpoint became bad (not a finite number).</summary>
    RemoteSetpointBad = 8,

    /// <summary>The remote setpoint became finite again.</summary>
    RemoteSetpointRecovered = 9,
}
