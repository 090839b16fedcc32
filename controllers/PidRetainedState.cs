using System.Buffers.Binary;
using System.Globalization;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>
/// What a PID loop retains across restarts: its setpoint, its mode (one an operator sets:
/// manual, auto or cascade), its manual output and its whole tuning. The layout (little-endian,
/// <see cref="Bytes"/> bytes): u8 layout version, u8 mode, u8 form, u8 anti-windup, then 16 f64s:
/// setpoint, manual output, Kc, Ti, Td, N, output min and max, tracking time, Kp, Ki, Kd, b, c,
/// the rate limits up and down. It lives in the retain store's payload; the store adds the
/// sequence and the checksum.
/// </summary>
public readonly record struct PidRetainedState(double Setpoint, PidMode Mode, double ManualOutput, PidTuning Tuning)
{
    public const byte LayoutVersion = 1;

    private const int Header = 4;
    private const int Numbers = 16;

    public const int Bytes = Header + (Numbers * 8);

    /// <summary>
    /// What <paramref name="loop"/> would retain now: the operator's target mode (what the mode
    /// machine returns to), not the actual one, so a restart under bad input or a shed cascade
    /// comes back to what the operator chose.
    /// </summary>
    public static PidRetainedState Of(PidLoop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        return new PidRetainedState(loop.Setpoint, loop.Modes.Target, loop.Controller.ManualOutput, loop.Controller.Tuning);
    }

    /// <summary>Writes the layout into <paramref name="destination"/> (at least <see cref="Bytes"/>); allocation-free.</summary>
    public int Encode(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Bytes);
        destination[0] = LayoutVersion;
        destination[1] = (byte)Mode;
        destination[2] = (byte)Tuning.Form;
        destination[3] = (byte)Tuning.AntiWindup;
        ReadOnlySpan<double> numbers =
        [
            Setpoint, ManualOutput, Tuning.Kc, Tuning.TiSeconds, Tuning.TdSeconds, Tuning.DerivativeFilter,
            Tuning.OutputMin, Tuning.OutputMax, Tuning.TrackingTimeSeconds, Tuning.ProportionalGain,
            Tuning.IntegralGainPerSecond, Tuning.DerivativeGainSeconds, Tuning.SetpointWeightProportional,
            Tuning.SetpointWeightDerivative, Tuning.OutputRateUpPerSecond, Tuning.OutputRateDownPerSecond,
        ];
        for (var i = 0; i < Numbers; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(Header + (i * 8))..], numbers[i]);
        }

        return Bytes;
    }

    /// <summary>Reads the layout; false with <paramref name="problem"/> for another length or version, a mode an operator does not set, a non-finite value or a tuning its checks refuse.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out PidRetainedState state, out string problem)
    {
        state = default;
        if (payload.Length != Bytes || payload[0] != LayoutVersion)
        {
            problem = $"a payload of {payload.Length.ToString(CultureInfo.InvariantCulture)} bytes, layout {(payload.Length > 0 ? payload[0] : 0).ToString(CultureInfo.InvariantCulture)}; this PID retains layout {LayoutVersion} of {Bytes} bytes";
            return false;
        }

        var mode = (PidMode)payload[1];
        if (mode is not (PidMode.Manual or PidMode.Auto or PidMode.Cascade))
        {
            problem = $"mode {payload[1].ToString(CultureInfo.InvariantCulture)} is not one an operator sets (manual 0, auto 1, cascade 2)";
            return false;
        }

        Span<double> n = stackalloc double[Numbers];
        for (var i = 0; i < Numbers; i++)
        {
            n[i] = BinaryPrimitives.ReadDoubleLittleEndian(payload[(Header + (i * 8))..]);
        }

        var tuning = new PidTuning(n[2], n[3], n[4], n[5], n[6], n[7], n[8])
        {
            Form = (PidForm)payload[2],
            AntiWindup = (AntiWindup)payload[3],
            ProportionalGain = n[9],
            IntegralGainPerSecond = n[10],
            DerivativeGainSeconds = n[11],
            SetpointWeightProportional = n[12],
            SetpointWeightDerivative = n[13],
            OutputRateUpPerSecond = n[14],
            OutputRateDownPerSecond = n[15],
        };
        return Checked(new PidRetainedState(n[0], mode, n[1], tuning), out state, out problem);
    }

    /// <summary>Puts the retained values into a loop that has just been made: tuning, setpoint, then mode (and in manual its output).</summary>
    public void ApplyTo(PidLoop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        loop.Controller.Retune(Tuning);
        loop.Apply(ControllerCommand.SetSetpoint(Setpoint));
        loop.Apply(ControllerCommand.SetMode(Mode));
        if (Mode == PidMode.Manual)
        {
            loop.Apply(ControllerCommand.SetManualOutput(ManualOutput));
        }
    }

    private static bool Checked(PidRetainedState candidate, out PidRetainedState state, out string problem)
    {
        state = default;
        if (!double.IsFinite(candidate.Setpoint) || !double.IsFinite(candidate.ManualOutput))
        {
            problem = $"setpoint {candidate.Setpoint.ToString(CultureInfo.InvariantCulture)} or manual output {candidate.ManualOutput.ToString(CultureInfo.InvariantCulture)} is not finite";
            return false;
        }

        if (!Enum.IsDefined(candidate.Tuning.Form) || !Enum.IsDefined(candidate.Tuning.AntiWindup))
        {
            problem = $"form {((int)candidate.Tuning.Form).ToString(CultureInfo.InvariantCulture)} or anti-windup {((int)candidate.Tuning.AntiWindup).ToString(CultureInfo.InvariantCulture)} is not one this PID knows";
            return false;
        }

        try
        {
            candidate.Tuning.Validate();
        }
        catch (ArgumentException exception)
        {
            problem = $"its tuning is refused: {exception.Message}";
            return false;
        }

        state = candidate;
        problem = "";
        return true;
    }
}

/// <summary>
/// The PID service's retain store: restores a loop at start, and saves after a command changed
/// what it retains (compared byte for byte with the last save, without allocating). The write
/// happens off the cyclic path (<see cref="IRetainStore"/>).
/// </summary>
internal sealed class PidRetain
{
    private readonly IRetainStore store;
    private readonly byte[] saved = new byte[PidRetainedState.Bytes];

    private PidRetain(IRetainStore store) => this.store = store;

    /// <summary>The store of a service whose manifest has one, with <paramref name="loop"/> restored from it; null without one.</summary>
    public static PidRetain? Open(IServiceContext context, PidLoop loop)
    {
        if (context.Spec.Retain is null)
        {
            return null;
        }

        var retain = new PidRetain(context.OpenRetainStore());
        if (retain.store.Restored.HasValues)
        {
            if (PidRetainedState.TryDecode(retain.store.Restored.Payload.Span, out var state, out var problem))
            {
                state.ApplyTo(loop);
            }
            else
            {
                retain.store.Discard(problem);
            }
        }

        PidRetainedState.Of(loop).Encode(retain.saved);
        return retain;
    }

    /// <summary>After a command: saves when the retained values differ from the last ones saved (or restored).</summary>
    public void SaveIfChanged(PidLoop loop)
    {
        Span<byte> now = stackalloc byte[PidRetainedState.Bytes];
        PidRetainedState.Of(loop).Encode(now);
        if (now.SequenceEqual(saved))
        {
            return;
        }

        now.CopyTo(saved);
        store.Save(now);
    }
}
