using System.Collections.Immutable;
using System.Text;
using Neokernel.Controllers.Blocks;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>
/// Program <c>controllers.blocks</c>: a block network from the manifest's tables
/// (<see cref="BlockNetworkManifest"/>), evaluated once a period. Each cycle it reads its input
/// regions, writes every point input into the network, evaluates the network with the time since
/// the previous release, and writes every output point with the cycle's start as timestamp.
///
/// Quality: an output is Good when every input is, Uncertain when one is Uncertain. When an input
/// is Bad, its region unreadable or a REAL input not finite, the network is not evaluated, since
/// no block should act on a value that is not there. Under <c>safeState.onBadInput: hold</c> every
/// output keeps its last value, written Uncertain; under <c>safe-state</c> the outputs the safe
/// state lists take their safe values (Good), the others hold. When the inputs recover, every PID
/// block starts its derivative afresh, and under safe-state each PID block whose OUT drives a
/// safe-state point resumes from that point's safe value, so control returns without a bump.
///
/// Operators: with <c>commandEndpoint</c> the network serves <see cref="BlockNetworkCommands"/>.
/// GetValue reads any pin, state or parameter of any block; SetValue sets an input or a tuning
/// parameter its manifest lists under <c>settable</c> (a setpoint, a manual switch, a preset; a
/// gain, a limit), taking effect at the next cycle; a parameter goes through
/// <see cref="Block.Retune(int, BlockValue)"/>, which refuses one that does not fit the others and
/// retunes a PID without a bump. Retained values (<c>retain</c>: settable inputs and parameters,
/// and block state such as a count or a total)
/// are restored from the retain store before the first cycle; a settable value is saved when it
/// is set, and state, when it changed, every <c>retainSaveMs</c> from a timer, off the cyclic path.
/// </summary>
public sealed class BlockNetworkService : IService
{
    private Running? running;

    /// <summary>The network, once started: for diagnostics and tests.</summary>
    public BlockNetwork? Network => running?.Network;

    /// <summary>Whether the last cycle found a Bad input (and so held or went to the safe state).</summary>
    public bool InBadInputState => running?.InBadInput ?? false;

    /// <summary>How many times the inputs turned Bad since start.</summary>
    public long BadInputEpisodes => running?.BadInputEpisodes ?? 0;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (network, manifest) = BlockNetworkManifest.Build(context.ServiceId, context.Parameters);
        // A network runs on the cyclic task its timing grants: refuse a manifest without one before anything is opened.
        _ = ServiceSettings.PeriodSeconds(context);
        var state = new Running(context, network, manifest) { Retain = BlockNetworkRetain.Open(context, network, manifest.Retained) };
        if (context.Parameters.Text(BlockNetworkManifest.CommandEndpointParameter) is { Length: > 0 } endpoint)
        {
            context.ServeEndpoint(endpoint, new Commands(network, manifest, state));
        }
        else if (manifest.Settable.FirstOrDefault() is { } settable)
        {
            throw new ServiceConfigurationException(context.ServiceId, $"tables.{BlockNetworkManifest.BlocksTable}[{settable.Row}].{BlockNetworkManifest.SettableColumn}", $"{settable.FullName} is settable, but the network serves no commands: give the parameter {BlockNetworkManifest.CommandEndpointParameter}");
        }

        if (state.Retain is not null && manifest.Retained.Any(v => v.Kind == NetworkValueKind.State))
        {
            var periodNs = context.Parameters.Integer(BlockNetworkManifest.RetainSaveMsParameter) * 1_000_000;
            context.CreateTimer(state).ArmPeriodic(periodNs, context.Clock.NowNs + periodNs);
        }

        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    /// <summary>Retained values restored at start: for diagnostics and tests.</summary>
    public int RetainedRestored => running?.Retain?.RestoredCount ?? 0;

    private readonly record struct InputBinding(int Reader, int Point, NetworkPort Port);

    private readonly record struct OutputBinding(int Writer, int Point, NetworkPort Port, bool HasSafeValue, double SafeValue);

    /// <summary>Everything the cycle touches, allocated at Start.</summary>
    private sealed class Running : ICyclicBody, ITimerCallback
    {
        private readonly RegionReader[] readers;
        private readonly RegionSnapshot[] snapshots;
        private readonly bool[] readOk;
        private readonly RegionWriter[] writers;
        private readonly InputBinding[] inputs;
        private readonly OutputBinding[] outputs;
        private readonly double[] lastOutputs;
        private readonly PidBlock[] pids;
        private readonly (PidBlock Pid, double SafeValue)[] safeResumes;
        private long previousReleaseNs = -1;

        public Running(IServiceContext context, BlockNetwork network, ManifestBlockNetwork manifest)
        {
            Network = network;
            var readerRegions = manifest.Inputs.Select(i => i.Point.Region).Distinct(StringComparer.Ordinal).ToImmutableArray();
            readers = [.. readerRegions.Select(context.OpenRegionReader)];
            snapshots = [.. readers.Select(r => r.CreateSnapshot())];
            readOk = new bool[readers.Length];
            inputs = [.. manifest.Inputs.Select(i =>
            {
                var reader = readerRegions.IndexOf(i.Point.Region);
                return new InputBinding(reader, PointIndex(context, readers[reader].Region, i.Point), network.Input(i.ExternalName));
            })];

            var writerRegions = manifest.Outputs.Select(o => o.Point.Region).Distinct(StringComparer.Ordinal).ToImmutableArray();
            writers = [.. writerRegions.Select(context.OpenRegionWriter)];
            var safeState = context.Spec.SafeState;
            var safe = safeState?.OnBadInput == BadInputPolicy.SafeState;
            outputs = [.. manifest.Outputs.Select(o =>
            {
                var writer = writerRegions.IndexOf(o.Point.Region);
                var value = safeState?.Outputs.FirstOrDefault(s => s.Region == o.Point.Region && s.Point == o.Point.Point);
                return new OutputBinding(writer, PointIndex(context, writers[writer].Region, o.Point), network.Output(o.ExternalName), safe && value is not null, value?.Value ?? 0.0);
            })];
            lastOutputs = [.. outputs.Select(o => network.Values.GetPointValue(o.Port))];
            pids = [.. network.Blocks.OfType<PidBlock>()];
            safeResumes = [.. outputs
                .Where(o => o.HasSafeValue && o.Port.Type == BlockValueType.Real)
                .SelectMany(o => pids.Where(p => p.OutputSlots[PidBlock.Out] == o.Port.Slot).Select(p => (p, o.SafeValue)))];
        }

        public BlockNetwork Network { get; }

        public ICyclicTaskHandle? Task { get; set; }

        /// <summary>The retain store, when the manifest retains values.</summary>
        public BlockNetworkRetain? Retain { get; init; }

        /// <summary>The periodic save of retained state that changed. Off the cyclic path.</summary>
        public void OnTimer(long nowNs) => Retain?.SaveIfChanged();

        public bool InBadInput { get; private set; }

        public long BadInputEpisodes { get; private set; }

        public void Execute(in CycleInfo cycle)
        {
            var dtNs = previousReleaseNs < 0 ? 0 : Math.Max(0, cycle.ReleaseNs - previousReleaseNs);
            previousReleaseNs = cycle.ReleaseNs;
            for (var i = 0; i < readers.Length; i++)
            {
                readOk[i] = readers[i].TryRead(snapshots[i]);
            }

            var quality = ReadInputs(out var bad);
            if (bad)
            {
                EnterBadInput();
            }
            else
            {
                if (InBadInput)
                {
                    Resume();
                }

                Network.Evaluate(dtNs);
            }

            WriteOutputs(bad ? Quality.Uncertain : quality, cycle.StartNs, bad);
        }

        /// <summary>Writes every usable input into the network; the worst quality of them, and whether one is unusable.</summary>
        private Quality ReadInputs(out bool bad)
        {
            var values = Network.Values;
            var worst = Quality.Good;
            bad = false;
            foreach (var input in inputs)
            {
                var snapshot = snapshots[input.Reader];
                var quality = readOk[input.Reader] ? snapshot.Quality(input.Point) : Quality.Bad;
                var value = readOk[input.Reader] ? snapshot.Value(input.Point) : double.NaN;
                if (quality == Quality.Bad || (input.Port.Type == BlockValueType.Real && !double.IsFinite(value)))
                {
                    bad = true;
                    continue;
                }

                values.SetFromPointValue(input.Port, value);
                worst = quality < worst ? quality : worst;
            }

            return worst;
        }

        private void EnterBadInput()
        {
            if (!InBadInput)
            {
                InBadInput = true;
                BadInputEpisodes++;
            }
        }

        private void Resume()
        {
            InBadInput = false;
            foreach (var pid in pids)
            {
                pid.Controller.Hold();
            }

            foreach (var (pid, safeValue) in safeResumes)
            {
                pid.Controller.TrackOutput(safeValue);
            }
        }

        private void WriteOutputs(Quality quality, long timestampNs, bool bad)
        {
            var values = Network.Values;
            for (var i = 0; i < outputs.Length; i++)
            {
                var output = outputs[i];
                var writer = writers[output.Writer];
                if (bad && output.HasSafeValue)
                {
                    writer.Set(output.Point, output.SafeValue, Quality.Good, timestampNs);
                    continue;
                }

                if (!bad)
                {
                    lastOutputs[i] = values.GetPointValue(output.Port);
                }

                writer.Set(output.Point, lastOutputs[i], quality, timestampNs);
            }

            foreach (var writer in writers)
            {
                writer.Publish();
            }
        }

        private static int PointIndex(IServiceContext context, Region region, PointReference point) =>
            region.HasPoint(point.Point)
                ? region.IndexOf(point.Point)
                : throw new ServiceConfigurationException(context.ServiceId, $"tables.{BlockNetworkManifest.BlocksTable}", $"region '{point.Region}' has no point '{point.Point}'");
    }

    private enum TargetKind : byte
    {
        Input,
        Output,
        State,
        Parameter,
    }

    /// <summary>A value a command names: where it lives, its type, whether an operator may set it and whether it is retained.</summary>
    private readonly record struct Target(TargetKind Kind, BlockValueType Type, Block Block, int Index, bool Settable, bool Retained);

    /// <summary>
    /// The network's command endpoint (<see cref="BlockNetworkCommands"/>). Names are looked up
    /// without regard to case, from the message's UTF-8 through a stack buffer: no allocation.
    /// </summary>
    private sealed class Commands : IMessageHandler
    {
        private readonly BlockValues values;
        private readonly Running running;
        private readonly Dictionary<string, Target>.AlternateLookup<ReadOnlySpan<char>> targets;

        public Commands(BlockNetwork network, ManifestBlockNetwork manifest, Running running)
        {
            values = network.Values;
            this.running = running;
            var byName = new Dictionary<string, Target>(StringComparer.OrdinalIgnoreCase);
            foreach (var block in network.Blocks)
            {
                var descriptor = block.Descriptor;
                for (var i = 0; i < descriptor.Outputs.Length; i++)
                {
                    byName[$"{block.Name}.{descriptor.Outputs[i].Name}"] = new Target(TargetKind.Output, descriptor.Outputs[i].Type, block, block.OutputSlots[i], false, false);
                }

                for (var i = 0; i < descriptor.Inputs.Length; i++)
                {
                    var name = descriptor.Inputs[i].Name;
                    var settable = manifest.Settable.Any(v => v.Block == block.Name && v.Name == name);
                    var retained = manifest.Retained.Any(v => v.Block == block.Name && v.Name == name);
                    byName[$"{block.Name}.{name}"] = new Target(TargetKind.Input, descriptor.Inputs[i].Type, block, block.InputSlots[i], settable, retained);
                }

                for (var i = 0; i < descriptor.State.Length; i++)
                {
                    // A state may share its name with an output (a counter's CV): reading either gives the same value after a cycle.
                    byName.TryAdd($"{block.Name}.{descriptor.State[i].Name}", new Target(TargetKind.State, descriptor.State[i].Type, block, i, false, false));
                }

                for (var i = 0; i < descriptor.Parameters.Length; i++)
                {
                    var name = descriptor.Parameters[i].Name;
                    var settable = manifest.Settable.Any(v => v.Block == block.Name && v.Name == name);
                    var retained = manifest.Retained.Any(v => v.Block == block.Name && v.Name == name);
                    byName.Add($"{block.Name}.{name}", new Target(TargetKind.Parameter, descriptor.Parameters[i].Type, block, i, settable, retained));
                }
            }

            targets = byName.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            var status = BlockNetworkCommands.Decode(message.Payload, out var kind, out var nameBytes, out var value);
            Span<char> name = stackalloc char[BlockNetworkCommands.NameBytesMax];
            var found = default(Target);
            if (status == CommandStatus.Ok)
            {
                var length = Encoding.UTF8.GetChars(nameBytes, name);
                status = targets.TryGetValue(name[..length], out found) ? CommandStatus.Ok : CommandStatus.UnknownName;
            }

            if (status == CommandStatus.Ok && kind == BlockNetworkCommandKind.GetValue)
            {
                if (message.IsRequest)
                {
                    Span<byte> reply = stackalloc byte[BlockNetworkCommands.ValueReplyBytes];
                    server.Reply(message, reply[..BlockNetworkCommands.EncodeValueReply(Read(found), reply)]);
                }

                return;
            }

            if (status == CommandStatus.Ok)
            {
                status = Set(found, value);
            }

            if (message.IsRequest)
            {
                Span<byte> reply = stackalloc byte[ControllerCommands.ReplyBytes];
                reply[0] = (byte)status;
                server.Reply(message, reply);
            }
        }

        private double Read(in Target target) => target.Kind switch
        {
            TargetKind.State => BlockValues.PointValue(target.Block.GetState(target.Index)),
            TargetKind.Parameter => BlockValues.PointValue(target.Block.Parameter(target.Index)),
            _ => BlockValues.PointValue(values.Get(target.Type, target.Index)),
        };

        private CommandStatus Set(in Target target, double value)
        {
            if (!target.Settable)
            {
                return CommandStatus.NotSettable;
            }

            if (!TryValue(target.Type, value, out var typed))
            {
                return CommandStatus.InvalidValue;
            }

            if (target.Kind == TargetKind.Parameter)
            {
                if (target.Block.Retune(target.Index, typed) is not null)
                {
                    return CommandStatus.InvalidValue;
                }
            }
            else
            {
                values.Set(target.Index, typed);
            }

            if (target.Retained)
            {
                running.Retain?.SaveIfChanged();
            }

            return CommandStatus.Ok;
        }

        /// <summary>A command's double as the pin's type: REAL finite, BOOL 0 or 1, DINT whole and in range, TIME 0..365 days in seconds.</summary>
        private static bool TryValue(BlockValueType type, double value, out BlockValue typed)
        {
            typed = default;
            switch (type)
            {
                case BlockValueType.Real when double.IsFinite(value):
                    typed = BlockValue.Real(value);
                    return true;
                case BlockValueType.Bool when value is 0 or 1:
                    typed = BlockValue.Bool(value == 1);
                    return true;
                case BlockValueType.Dint when value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue:
                    typed = BlockValue.Dint((int)value);
                    return true;
                case BlockValueType.Time when value >= 0 && value * BlockLimits.NanosecondsPerSecond <= BlockLimits.TimeNanosecondsMax:
                    typed = BlockValue.Time((long)Math.Round(value * BlockLimits.NanosecondsPerSecond));
                    return true;
                default:
                    return false;
            }
        }
    }
}
