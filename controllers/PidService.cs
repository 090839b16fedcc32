using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>
/// What a <c>controllers.pid</c> manifest says, parsed and checked before any capability is
/// opened, so a wrong manifest fails at Start with the parameter's name and nothing half-open.
/// </summary>
public sealed record PidServiceSettings(
    PidTuning Tuning,
    double Setpoint,
    string InputRegion,
    string InputPoint,
    string OutputRegion,
    string OutputPoint,
    string? CommandEndpoint,
    double PeriodSeconds,
    BadInputPolicy BadInputPolicy,
    double SafeOutput)
{
    /// <summary>
    /// The parameters <c>validate</c> checks. Relations between them (outputMin below outputMax,
    /// kc nonzero) are the tuning's own check, at start.
    /// </summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.Number("kc", "controller gain (negative for reverse action, nonzero)", 1.0, "output units per PV unit"),
        ParameterDeclaration.Number("tiSeconds", "integral time; 0 turns the integral action off", 0.0, "s", min: 0),
        ParameterDeclaration.Number("tdSeconds", "derivative time; 0 turns the derivative action off", 0.0, "s", min: 0),
        ParameterDeclaration.Number("derivativeFilter", "derivative filter N (positive): the derivative's lag is tdSeconds/N", 10.0),
        ParameterDeclaration.Number("trackingTimeSeconds", "anti-windup tracking time; 0 derives it from ti and td", 0.0, "s", min: 0),
        ParameterDeclaration.Number("outputMin", "lowest output", 0.0, "output units"),
        ParameterDeclaration.Number("outputMax", "highest output", 100.0, "output units"),
        ParameterDeclaration.Number("setpoint", "setpoint at start", 0.0, "PV units"),
        ParameterDeclaration.RequiredText("inputRegion", "region the process value is read from"),
        ParameterDeclaration.RequiredText("inputPoint", "point of inputRegion holding the process value"),
        ParameterDeclaration.RequiredText("outputRegion", "region the output (and setpoint, pv, mode where it has them) is written to"),
        ParameterDeclaration.RequiredText("outputPoint", "point of outputRegion the output goes to"),
        ParameterDeclaration.Text("commandEndpoint", "endpoint served for operator commands; empty for none"),
        ParameterDeclaration.Text("form", "isa (gains kc, tiSeconds, tdSeconds) or parallel (kp, kiPerSecond, kdSeconds)", "isa"),
        ParameterDeclaration.Number("kp", "parallel form: proportional gain (nonzero; negative for reverse action)", 0.0, "output units per PV unit"),
        ParameterDeclaration.Number("kiPerSecond", "parallel form: integral gain, 0 or of kp's sign", 0.0, "output units per PV unit·s"),
        ParameterDeclaration.Number("kdSeconds", "parallel form: derivative gain, 0 or of kp's sign", 0.0, "output units·s per PV unit"),
        ParameterDeclaration.Number("setpointWeightP", "setpoint weight b of the proportional action", 1.0, min: 0, max: 1),
        ParameterDeclaration.Number("setpointWeightD", "setpoint weight c of the derivative action; 0 is derivative on measurement", 0.0, min: 0, max: 1),
        ParameterDeclaration.Text("antiWindup", "back-calculation or clamping (conditional integration)", BackCalculation),
        ParameterDeclaration.Number("outputRateUpPerSecond", "largest rise of the output per second; 0 for none", 0.0, "output units/s", min: 0),
        ParameterDeclaration.Number("outputRateDownPerSecond", "largest fall of the output per second; 0 for none", 0.0, "output units/s", min: 0),
    ];

    private const string Isa = "isa";
    private const string ParallelForm = "parallel";
    private const string BackCalculation = "back-calculation";
    private const string Clamping = "clamping";

    /// <summary>
    /// What <c>validate</c> checks beyond types and ranges: the words of form and antiWindup, the
    /// gains of one form only, and the tuning's own relations (outputMin below outputMax, kc
    /// nonzero), each at the parameter it is about, so none surfaces first as a start fault.
    /// </summary>
    /// <summary>A loop with a <c>commandEndpoint</c> speaks <see cref="ControllerCommands"/> there (for <c>validate</c>'s check of its clients).</summary>
    public static IEnumerable<ServedContract> Serves(ProgramParameters parameters, ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var endpoint = parameters.Text("commandEndpoint");
        return endpoint.Length == 0 ? [] : [new ServedContract(endpoint, nameof(ControllerCommands))];
    }

    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (ReadTuning(parameters, out var problem) is null)
        {
            yield return problem!;
        }
    }

    /// <summary>The tuning the parameters give, or null with the problem at its parameter.</summary>
    private static PidTuning? ReadTuning(ProgramParameters parameters, out ProgramProblem? problem)
    {
        problem = null;
        var form = parameters.Text("form");
        if (form is not (Isa or ParallelForm))
        {
            problem = new ProgramProblem("parameters.form", $"unknown form '{form}'", $"{Isa} or {ParallelForm}");
            return null;
        }

        var antiWindup = parameters.Text("antiWindup");
        if (antiWindup is not (BackCalculation or Clamping))
        {
            problem = new ProgramProblem("parameters.antiWindup", $"unknown anti-windup '{antiWindup}'", $"{BackCalculation} or {Clamping}");
            return null;
        }

        var parallel = form == ParallelForm;
        foreach (var name in parallel ? (ReadOnlySpan<string>)["kc", "tiSeconds", "tdSeconds"] : ["kp", "kiPerSecond", "kdSeconds"])
        {
            if (parameters.IsGiven(name))
            {
                problem = new ProgramProblem($"parameters.{name}", $"{name} is a gain of the {(parallel ? Isa : ParallelForm)} form, and form is {form}", parallel ? "kp, kiPerSecond and kdSeconds" : "kc, tiSeconds and tdSeconds (or form: parallel)");
                return null;
            }
        }

        var tuning = new PidTuning(
            parallel ? 0 : parameters.Number("kc"),
            parallel ? 0 : parameters.Number("tiSeconds"),
            parallel ? 0 : parameters.Number("tdSeconds"),
            parameters.Number("derivativeFilter"),
            parameters.Number("outputMin"),
            parameters.Number("outputMax"),
            parameters.Number("trackingTimeSeconds"))
        {
            Form = parallel ? PidForm.Parallel : PidForm.Isa,
            ProportionalGain = parallel ? parameters.Number("kp") : 0,
            IntegralGainPerSecond = parallel ? parameters.Number("kiPerSecond") : 0,
            DerivativeGainSeconds = parallel ? parameters.Number("kdSeconds") : 0,
            SetpointWeightProportional = parameters.Number("setpointWeightP"),
            SetpointWeightDerivative = parameters.Number("setpointWeightD"),
            AntiWindup = antiWindup == Clamping ? AntiWindup.Clamping : AntiWindup.BackCalculation,
            OutputRateUpPerSecond = parameters.Number("outputRateUpPerSecond"),
            OutputRateDownPerSecond = parameters.Number("outputRateDownPerSecond"),
        };
        try
        {
            tuning.Validate();
        }
        catch (ArgumentException exception)
        {
            problem = new ProgramProblem($"parameters.{TuningParameter(exception.ParamName)}", ArgumentMessages.WithoutParameter(exception), "a tuning the controller accepts");
            return null;
        }

        return tuning;
    }

    public static PidServiceSettings From(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parameters = context.Parameters;
        var tuning = ReadTuning(parameters, out var problem)
            ?? throw new ServiceConfigurationException(context.ServiceId, problem!.Path["parameters.".Length..], problem.Problem);

        var outputRegion = ServiceSettings.RequiredString(context, "outputRegion");
        var outputPoint = ServiceSettings.RequiredString(context, "outputPoint");
        var (policy, safeOutput) = SafeState(context, outputRegion, outputPoint);
        var commandEndpoint = parameters.Text("commandEndpoint");
        return new PidServiceSettings(
            tuning,
            parameters.Number("setpoint"),
            ServiceSettings.RequiredString(context, "inputRegion"),
            ServiceSettings.RequiredString(context, "inputPoint"),
            outputRegion,
            outputPoint,
            commandEndpoint.Length == 0 ? null : commandEndpoint,
            ServiceSettings.PeriodSeconds(context),
            policy,
            safeOutput);
    }

    private static (BadInputPolicy Policy, double SafeOutput) SafeState(IServiceContext context, string outputRegion, string outputPoint)
    {
        var safeState = context.Spec.SafeState;
        double? safeOutput = null;
        foreach (var output in safeState?.Outputs ?? [])
        {
            if (output.Region == outputRegion && output.Point == outputPoint)
            {
                safeOutput = output.Value;
            }
        }

        var policy = safeState?.OnBadInput ?? BadInputPolicy.Hold;
        if (policy == BadInputPolicy.Hold)
        {
            return (BadInputPolicy.Hold, safeOutput ?? 0.0);
        }

        if (safeOutput is not { } value || !double.IsFinite(value))
        {
            throw new ServiceConfigurationException(
                context.ServiceId,
                "safeState.outputs",
                $"onBadInput is safe-state but no finite safe value is given for {outputRegion}.{outputPoint}");
        }

        return (BadInputPolicy.SafeState, value);
    }

    private static string TuningParameter(string? tuningMember) => tuningMember switch
    {
        nameof(PidTuning.Kc) => "kc",
        nameof(PidTuning.TiSeconds) => "tiSeconds",
        nameof(PidTuning.TdSeconds) => "tdSeconds",
        nameof(PidTuning.DerivativeFilter) => "derivativeFilter",
        nameof(PidTuning.OutputMin) => "outputMin",
        nameof(PidTuning.OutputMax) => "outputMax",
        nameof(PidTuning.TrackingTimeSeconds) => "trackingTimeSeconds",
        nameof(PidTuning.ProportionalGain) => "kp",
        nameof(PidTuning.IntegralGainPerSecond) => "kiPerSecond",
        nameof(PidTuning.DerivativeGainSeconds) => "kdSeconds",
        nameof(PidTuning.SetpointWeightProportional) => "setpointWeightP",
        nameof(PidTuning.SetpointWeightDerivative) => "setpointWeightD",
        nameof(PidTuning.OutputRateUpPerSecond) => "outputRateUpPerSecond",
        nameof(PidTuning.OutputRateDownPerSecond) => "outputRateDownPerSecond",
        _ => "kc",
    };
}

/// <summary>
/// Program <c>controllers.pid</c>: a PID loop between two regions. Reads the process value from
/// <c>inputRegion.inputPoint</c>, writes the output to <c>outputRegion.outputPoint</c> every period,
/// plus the status points <c>setpoint</c>, <c>pv</c>, <c>mode</c> (the actual <see cref="LoopMode"/>:
/// 0 manual, 1 auto, 2 cascade, 3 tracking, 4 hold, 5 safe state), <c>modeTarget</c> (the
/// operator's <see cref="PidMode"/>) and <c>modeCause</c> (the <see cref="LoopModeTrigger"/> of the
/// last mode change) where the output region has them. With <c>commandEndpoint</c> it serves
/// <see cref="ControllerCommands"/>. Every mode change goes into the kernel's trace (a <c>mode</c>
/// event with its cause). With a <c>retain</c> section it restores its setpoint, mode, manual
/// output and tuning at start and saves them when a command changed them
/// (<see cref="PidRetainedState"/>). A thin adapter: the decisions live in <see cref="PidLoop"/>.
/// </summary>
public sealed class PidService : IService
{
    private Running? running;

    /// <summary>The loop, once started: for diagnostics and tests.</summary>
    public PidLoop? Loop => running?.Loop;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = PidServiceSettings.From(context);
        var loop = new PidLoop(settings.Tuning, settings.Setpoint, settings.BadInputPolicy, settings.SafeOutput);
        var state = new Running(context, settings, loop) { Retain = PidRetain.Open(context, loop) };
        if (settings.CommandEndpoint is { } endpoint)
        {
            context.ServeEndpoint(endpoint, state);
        }

        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    /// <summary>Everything the data plane touches, allocated at Start.</summary>
    private sealed class Running : ICyclicBody, IMessageHandler, ILoopModeObserver
    {
        private readonly IServiceContext context;
        private readonly RegionReader reader;
        private readonly RegionWriter writer;
        private readonly RegionSnapshot snapshot;
        private readonly int inputIndex;
        private readonly int outputIndex;
        private readonly int setpointIndex;
        private readonly int processValueIndex;
        private readonly int modeIndex;
        private readonly int modeTargetIndex;
        private readonly int modeCauseIndex;
        private readonly double periodSeconds;

        public Running(IServiceContext context, PidServiceSettings settings, PidLoop loop)
        {
            this.context = context;
            Loop = loop;
            loop.ModeObserver = this;
            periodSeconds = settings.PeriodSeconds;
            reader = context.OpenRegionReader(settings.InputRegion);
            writer = context.OpenRegionWriter(settings.OutputRegion);
            snapshot = reader.CreateSnapshot();
            inputIndex = ServiceSettings.PointIndex(context, reader.Region, "inputPoint", settings.InputPoint);
            outputIndex = ServiceSettings.PointIndex(context, writer.Region, "outputPoint", settings.OutputPoint);
            setpointIndex = StatusPoint(writer.Region, "setpoint");
            processValueIndex = StatusPoint(writer.Region, "pv");
            modeIndex = StatusPoint(writer.Region, "mode");
            modeTargetIndex = StatusPoint(writer.Region, "modeTarget");
            modeCauseIndex = StatusPoint(writer.Region, "modeCause");
        }

        public PidLoop Loop { get; }

        public ICyclicTaskHandle? Task { get; set; }

        /// <summary>The retain store, when the manifest grants one: setpoint, mode, manual output and tuning.</summary>
        public PidRetain? Retain { get; init; }

        public void Execute(in CycleInfo cycle)
        {
            var readOk = reader.TryRead(snapshot);
            var quality = readOk ? snapshot.Quality(inputIndex) : Quality.Bad;
            var processValue = readOk ? snapshot.Value(inputIndex) : double.NaN;
            var result = Loop.Step(processValue, quality, periodSeconds);

            var timestampNs = cycle.StartNs;
            writer.Set(outputIndex, result.Output, result.Quality, timestampNs);
            if (setpointIndex >= 0)
            {
                writer.Set(setpointIndex, Loop.Setpoint, Quality.Good, timestampNs);
            }

            if (processValueIndex >= 0)
            {
                var usable = double.IsFinite(processValue);
                writer.Set(processValueIndex, usable ? processValue : Loop.ProcessValue, usable ? quality : Quality.Bad, timestampNs);
            }

            SetModePoints(timestampNs);
            writer.Publish();
        }

        public void OnModeChanged(in LoopModeChange change) =>
            context.TraceModeChange((int)change.Cause, (int)change.From, (int)change.To);

        private void SetModePoints(long timestampNs)
        {
            var modes = Loop.Modes;
            if (modeIndex >= 0)
            {
                writer.Set(modeIndex, (double)modes.Mode, Quality.Good, timestampNs);
            }

            if (modeTargetIndex >= 0)
            {
                writer.Set(modeTargetIndex, (double)modes.Target, Quality.Good, timestampNs);
            }

            if (modeCauseIndex >= 0)
            {
                writer.Set(modeCauseIndex, (double)modes.LastCause, Quality.Good, timestampNs);
            }
        }

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            if (ControllerCommands.IsGetStatus(message.Payload))
            {
                ReplyStatus(server, message);
                return;
            }

            if (ControllerCommands.IsGetAutoTune(message.Payload))
            {
                ReplyAutoTune(server, message);
                return;
            }

            var status = Loop.Handle(message.Payload);
            Retain?.SaveIfChanged(Loop);
            if (message.IsRequest)
            {
                Span<byte> reply = stackalloc byte[ControllerCommands.ReplyBytes];
                reply[0] = (byte)status;
                server.Reply(message, reply);
            }
        }

        /// <summary>The relay experiment's report, or ReplyTooLarge (one byte) on an endpoint whose messages are too small for it.</summary>
        private void ReplyAutoTune(EndpointServer server, in EndpointMessage message)
        {
            if (!message.IsRequest)
            {
                return;
            }

            Span<byte> reply = stackalloc byte[ControllerCommands.AutoTuneReplyBytes];
            var length = server.MaxMessageBytes >= ControllerCommands.AutoTuneReplyBytes
                ? ControllerCommands.EncodeAutoTuneReply(Loop.AutoTuneReport(), reply)
                : ControllerCommands.EncodeStatus(CommandStatus.ReplyTooLarge, reply);
            server.Reply(message, reply[..length]);
        }

        /// <summary>
        /// The loop's status: whole, or without the mode machine's bytes on an endpoint whose
        /// messages hold only the basic reply; ReplyTooLarge (one byte) on a smaller one.
        /// </summary>
        private void ReplyStatus(EndpointServer server, in EndpointMessage message)
        {
            if (!message.IsRequest)
            {
                return;
            }

            Span<byte> reply = stackalloc byte[ControllerCommands.StatusReplyBytes];
            var length = server.MaxMessageBytes >= ControllerCommands.StatusReplyBasicBytes
                ? ControllerCommands.EncodeStatusReply(Loop.Status(), reply[..Math.Min(server.MaxMessageBytes, ControllerCommands.StatusReplyBytes)])
                : ControllerCommands.EncodeStatus(CommandStatus.ReplyTooLarge, reply);
            server.Reply(message, reply[..length]);
        }

        private int StatusPoint(Region region, string point) =>
            region.HasPoint(point) && region.IndexOf(point) != outputIndex ? region.IndexOf(point) : -1;
    }
}
