using System.Collections.Immutable;
using Neokernel.Controllers.Blocks;
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
        var state = new Running(context, network, manifest);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    private readonly record struct InputBinding(int Reader, int Point, NetworkPort Port);

    private readonly record struct OutputBinding(int Writer, int Point, NetworkPort Port, bool HasSafeValue, double SafeValue);

    /// <summary>Everything the cycle touches, allocated at Start.</summary>
    private sealed class Running : ICyclicBody
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
}
