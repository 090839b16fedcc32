// In the contracts assembly, beside PidMode: a relay experiment's state, failure and rule travel
// in controller commands and replies, and a gateway reads them without the controllers.
namespace Neokernel.Controllers;

/// <summary>Where a relay experiment stands.</summary>
public enum AutoTuneState
{
    /// <summary>No experiment, nothing offered.</summary>
    Idle = 0,

    /// <summary>The relay drives the output.</summary>
    Running = 1,

    /// <summary>The experiment succeeded; its gains wait to be accepted or rejected.</summary>
    Offered = 2,

    /// <summary>The experiment ended without gains; the experiment's failure says why.</summary>
    Failed = 3,
}

/// <summary>Why a relay experiment ended without gains.</summary>
public enum AutoTuneFailure
{
    None = 0,

    /// <summary>Stopped by an abort.</summary>
    Aborted = 1,

    /// <summary>The timeout passed before enough full periods were seen: no (or too slow an) oscillation.</summary>
    NoOscillation = 2,

    /// <summary>The process value's amplitude is below the settings' minimum or within the hysteresis: noise, not a limit cycle.</summary>
    AmplitudeTooSmall = 3,

    /// <summary>The process value left the settings' safety band.</summary>
    ProcessValueOutOfBand = 4,

    /// <summary>The measured periods differ by more than the tuner's largest spread (1.5): no steady limit cycle.</summary>
    IrregularOscillation = 5,

    /// <summary>The process value turned bad during the experiment.</summary>
    BadInput = 6,
}

/// <summary>Which rule turns (Ku, Pu) into gains.</summary>
public enum TuningRule
{
    /// <summary>Ziegler–Nichols ultimate-gain rule: PID Kc = 0.6 Ku, Ti = Pu/2, Td = Pu/8; PI Kc = 0.45 Ku, Ti = Pu/1.2. Fast, about a quarter decay ratio.</summary>
    ZieglerNichols = 0,

    /// <summary>Tyreus–Luyben: PID Kc = Ku/2.2, Ti = 2.2 Pu, Td = Pu/6.3; PI Kc = Ku/3.2, Ti = 2.2 Pu. Conservative: less overshoot, more robust to dead time.</summary>
    TyreusLuyben = 1,
}
