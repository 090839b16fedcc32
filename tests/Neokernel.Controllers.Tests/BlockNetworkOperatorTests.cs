using Neokernel.Controllers.Blocks;
using Neokernel.Kernel;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>
/// A block network on the kernel and the simulation platform, reached by an operator over its
/// command endpoint: settable inputs take effect at the next cycle, everything else is refused
/// with its reason, and what the manifest retains (a settable setpoint, a counter's count, a
/// totalizer's total) survives a crash and restart of the network's service.
/// </summary>
public sealed class BlockNetworkOperatorTests
{
    private const long SecondNs = 1_000_000_000;
    private const long PeriodUs = 100_000;
    private const string Endpoint = "net.commands";

    [Fact]
    public void An_operator_sets_a_settable_input_reads_any_pin_and_is_refused_the_rest_with_the_reason()
    {
        var (kernel, platform, probe) = Boot(retain: true);
        platform.RunUntil(SecondNs);
        Assert.Equal(1.0, probe.Get(platform, "ramp.TARGET"));
        Assert.Equal(1.0, probe.Get(platform, "RAMP.out"));

        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.TARGET", 3.5));
        platform.RunUntil(platform.NowNs + (3 * SecondNs));
        Assert.Equal(3.5, probe.Get(platform, "ramp.OUT"));

        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "ramp.OUT", 1));
        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "tot.RESET", 1));
        Assert.Equal(CommandStatus.UnknownName, probe.Set(platform, "ramp.NOPE", 1));
        Assert.Equal(CommandStatus.UnknownName, probe.Set(platform, "nobody.OUT", 1));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "ramp.TARGET", double.NaN));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "count.CU", 0.5));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "count.PV", 2.5));
        Assert.Equal((CommandStatus.UnknownName, 0.0), probe.Call(platform, [(byte)BlockNetworkCommandKind.GetValue, 3, (byte)'a', (byte)'.', 0xFF]));
        Assert.Equal((CommandStatus.UnknownCommand, 0.0), probe.Call(platform, [(byte)ControllerCommandKind.SetSetpoint, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Equal((CommandStatus.Malformed, 0.0), probe.Call(platform, [(byte)BlockNetworkCommandKind.SetValue, 1, (byte)'x']));

        // A refused command changed nothing.
        Assert.Equal(3.5, probe.Get(platform, "ramp.TARGET"));
        Assert.Equal(ServiceState.Running, kernel.Service("net").State);
        kernel.Shutdown();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_restarted_network_keeps_its_retained_setpoint_count_and_total_only_with_a_retain_store(bool retain)
    {
        var (kernel, platform, probe) = Boot(retain);
        platform.RunUntil(SecondNs);
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.TARGET", 2.0));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(CommandStatus.Ok, probe.Set(platform, "count.CU", 1));
            platform.RunUntil(platform.NowNs + (2 * PeriodUs * 1_000));
            Assert.Equal(CommandStatus.Ok, probe.Set(platform, "count.CU", 0));
            platform.RunUntil(platform.NowNs + (2 * PeriodUs * 1_000));
        }

        // The totalizer integrates 0.5 units/s; let the periodic save (every 500 ms here) take the last count and total.
        platform.RunUntil(20 * SecondNs);
        Assert.Equal(3.0, probe.Get(platform, "count.CV"));
        var total = probe.Get(platform, "tot.OUT");
        Assert.InRange(total, 9.0, 10.0);

        probe.Network!.ReportFault("test: the network's service crashes");
        platform.RunUntil(21 * SecondNs);
        Assert.Equal(ServiceState.Running, kernel.Service("net").State);
        Assert.Equal(1, kernel.Service("net").Restarts);
        if (retain)
        {
            Assert.Equal(2.0, probe.Get(platform, "ramp.TARGET"));
            Assert.Equal(3.0, probe.Get(platform, "count.CV"));
            Assert.InRange(probe.Get(platform, "tot.OUT"), total - 0.5, total + 1.0);
            Assert.Equal(3, probe.Service!.RetainedRestored);
        }
        else
        {
            Assert.Equal(1.0, probe.Get(platform, "ramp.TARGET"));
            Assert.Equal(0.0, probe.Get(platform, "count.CV"));
            Assert.InRange(probe.Get(platform, "tot.OUT"), 0.0, 1.0);
        }

        kernel.Shutdown();
    }

    [Fact]
    public void A_store_written_by_a_manifest_that_retained_other_values_restores_those_it_still_retains_and_says_which_it_dropped()
    {
        var (kernel, platform, probe) = Boot(retain: true);
        platform.RunUntil(SecondNs);
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.TARGET", 4.0));
        platform.RunUntil(2 * SecondNs);
        byte[]?[] stored = [platform.Retained.Slot("net", 0), platform.Retained.Slot("net", 1)];
        kernel.Shutdown();

        // The next manifest renames the ramp: its target is dropped with a warning, the count and total restore.
        var (renamed, platform2, probe2) = Boot(retain: true, rampName: "ramp2", retained: stored);
        platform2.RunUntil(SecondNs);
        Assert.Equal(1.0, probe2.Get(platform2, "ramp2.TARGET"));
        Assert.Equal(2, probe2.Service!.RetainedRestored);
        Assert.Contains(renamed.Warnings, w => w.Text.Contains("ramp.TARGET is no longer retained by the manifest and was dropped", StringComparison.Ordinal));
        renamed.Shutdown();
    }

    [Theory]
    [InlineData("ramp.TARGET", 2.5, ServiceState.Running)]
    [InlineData("ramp.OUT", 2.5, ServiceState.Failed)]
    public void The_scripted_operator_steps_a_settable_input_and_faults_when_the_network_refuses(string blockValue, double to, ServiceState scriptAfter)
    {
        var (kernel, platform, probe) = Boot(retain: false, script: (blockValue, to));
        platform.RunUntil(5 * SecondNs);
        Assert.Equal(blockValue == "ramp.TARGET" ? to : 1.0, probe.Get(platform, "ramp.TARGET"));
        Assert.Equal(scriptAfter == ServiceState.Running ? 0 : 1, kernel.Service("script").Faults);
        kernel.Shutdown();
    }

    /// <summary>BOOL and TIME inputs are set, read and retained as their types: IN true, PT in seconds; an output or a state is never settable.</summary>
    [Fact]
    public void Bool_and_time_inputs_are_set_read_and_retained_outputs_and_state_are_not_settable()
    {
        var (kernel, platform, probe) = Boot(retain: true, timer: true);
        platform.RunUntil(SecondNs);
        Assert.Equal(2.0, probe.Get(platform, "delay.PT"));
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "delay.PT", 1.25));
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "delay.IN", 1));
        Assert.Equal(1.0, probe.Get(platform, "delay.IN"));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "delay.IN", 2));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "delay.PT", -1));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "delay.PT", 366 * 86_400.0));
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "count.PV", -7));
        Assert.Equal(-7.0, probe.Get(platform, "count.PV"));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "count.PV", 3_000_000_000.0));
        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "delay.Q", 1));
        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "tot.TOTAL", 1));
        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "count.CV", 1));
        platform.RunUntil(platform.NowNs + (2 * SecondNs));
        Assert.Equal(1.0, probe.Get(platform, "delay.Q"));
        Assert.Equal(1.25, probe.Get(platform, "delay.ET"));
        var total = probe.Get(platform, "tot.TOTAL");
        Assert.Equal(total, probe.Get(platform, "tot.OUT"), 1e-9);

        // Set inputs were saved when they were set: a crash right now restores them.
        probe.Network!.ReportFault("test: the network's service crashes");
        platform.RunUntil(platform.NowNs + SecondNs);
        Assert.Equal(1, kernel.Service("net").Restarts);
        Assert.Equal(1.25, probe.Get(platform, "delay.PT"));
        Assert.Equal(1.0, probe.Get(platform, "delay.IN"));
        Assert.Equal(5, probe.Service!.RetainedRestored);
        kernel.Shutdown();
    }

    /// <summary>A value saved as one type and now retained as another is dropped by name, with both types; nothing else is lost.</summary>
    [Fact]
    public void A_value_stored_with_another_type_is_dropped_naming_both_types()
    {
        var payload = new List<byte> { BlockNetworkRetain.LayoutVersion, 2, 0 };
        void Add(string name, BlockValueType type, long raw)
        {
            payload.Add((byte)name.Length);
            payload.AddRange(System.Text.Encoding.UTF8.GetBytes(name));
            payload.Add((byte)type);
            payload.AddRange(BitConverter.GetBytes(raw));
        }

        Add("ramp.TARGET", BlockValueType.Dint, 4);
        Add("count.CV", BlockValueType.Dint, 6);
        var record = new byte[payload.Count + 64];
        var length = RetainRecord.Encode(1, [.. payload], record);

        var (kernel, platform, probe) = Boot(retain: true, retained: [record[..length], null]);
        platform.RunUntil(SecondNs);

        Assert.Equal(1.0, probe.Get(platform, "ramp.TARGET"));
        Assert.Equal(6.0, probe.Get(platform, "count.CV"));
        Assert.Equal(1, probe.Service!.RetainedRestored);
        Assert.Contains(kernel.Warnings, w => w.Text.Contains("ramp.TARGET (stored as DINT, now REAL) is no longer retained by the manifest and was dropped", StringComparison.Ordinal));
        kernel.Shutdown();
    }

    /// <summary>The record's decoder: a header with no values is a record; a count beyond the bytes, a DINT or TIME its type cannot hold, another version, are refused with the reason.</summary>
    [Theory]
    [InlineData(new byte[] { 1, 0, 0 }, "")]
    [InlineData(new byte[] { 1, 0 }, "a block network record of 2 bytes is shorter than its header")]
    [InlineData(new byte[] { 2, 0, 0 }, "layout version 2, where this build writes 1")]
    [InlineData(new byte[] { 1, 1, 0 }, "the record ends inside value 0 of 1")]
    [InlineData(new byte[] { 1, 1, 0, 3, (byte)'a', (byte)'.', (byte)'b', 2, 0, 0, 0, 128, 0, 0, 0, 0 }, "value a.b holds no valid DINT")]
    [InlineData(new byte[] { 1, 1, 0, 3, (byte)'a', (byte)'.', (byte)'b', 2, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF }, "")]
    [InlineData(new byte[] { 1, 1, 0, 3, (byte)'a', (byte)'.', (byte)'b', 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, "value a.b holds no valid TIME")]
    [InlineData(new byte[] { 1, 1, 0, 3, (byte)'a', (byte)'.', (byte)'b', 3, 0, 0, 0, 0, 0, 0, 0, 0 }, "")]
    public void The_record_decoder_accepts_what_its_types_hold_and_names_the_rest(byte[] payload, string problem)
    {
        Assert.Equal(problem.Length == 0, BlockNetworkRetain.TryDecode(payload, out var stored, out var found));
        Assert.Equal(problem, found);
        if (problem.Length == 0)
        {
            Assert.Equal(payload[1], stored.Count);
        }
    }

    /// <summary>
    /// Online tuning: a settable parameter is set like an input and read back; one that would not
    /// fit the others, or is out of its range, is refused as an invalid value with nothing changed;
    /// a parameter not listed is read but not set; a retained one survives a crash.
    /// </summary>
    [Fact]
    public void An_operator_retunes_a_settable_parameter_and_a_crash_keeps_the_retained_tuning()
    {
        var (kernel, platform, probe) = Boot(retain: true, tuning: true);
        platform.RunUntil(SecondNs);
        Assert.Equal(10.0, probe.Get(platform, "ramp.RATE_UP"));
        Assert.Equal(1e9, probe.Get(platform, "ramp.OUT_MAX"));
        Assert.Equal(1.0, probe.Get(platform, "ramp.INITIAL"));

        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.RATE_UP", 0.5));
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.OUT_MAX", 3));
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.TARGET", 9));
        platform.RunUntil(platform.NowNs + (2 * SecondNs));
        Assert.InRange(probe.Get(platform, "ramp.OUT"), 1.9, 2.1);
        platform.RunUntil(platform.NowNs + (3 * SecondNs));
        Assert.Equal(3.0, probe.Get(platform, "ramp.OUT"));

        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "ramp.OUT_MIN", 5));
        Assert.Equal(CommandStatus.InvalidValue, probe.Set(platform, "ramp.RATE_UP", 0));
        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "ramp.RATE_DOWN", 1));
        Assert.Equal(CommandStatus.NotSettable, probe.Set(platform, "ramp.INITIAL", 2));
        Assert.Equal(-1e9, probe.Get(platform, "ramp.OUT_MIN"));
        Assert.Equal(0.5, probe.Get(platform, "ramp.RATE_UP"));

        // A retained parameter is saved when it is set: a crash right after keeps it (the state's periodic save has not come yet).
        platform.RunUntil(platform.NowNs + (SecondNs / 2) - (platform.NowNs % (SecondNs / 2)) + 10_000_000);
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.RATE_UP", 0.25));
        probe.Network!.ReportFault("test: the network's service crashes");
        platform.RunUntil(platform.NowNs + SecondNs);
        Assert.Equal(1, kernel.Service("net").Restarts);
        Assert.Equal(0.25, probe.Get(platform, "ramp.RATE_UP"));
        Assert.Equal(3.0, probe.Get(platform, "ramp.OUT_MAX"));
        Assert.Equal(9.0, probe.Get(platform, "ramp.TARGET"));
        Assert.Equal(5, probe.Service!.RetainedRestored);
        kernel.Shutdown();
    }

    /// <summary>Retained limits that do not fit the manifest's others (changed since) are not restored: the manifest's stand, and the warning says why.</summary>
    [Fact]
    public void Retained_tuning_that_no_longer_fits_the_manifest_is_not_restored_and_the_warning_says_why()
    {
        var (kernel, platform, probe) = Boot(retain: true, tuning: true);
        platform.RunUntil(SecondNs);
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.OUT_MAX", -5));
        Assert.Equal(CommandStatus.Ok, probe.Set(platform, "ramp.RATE_UP", 2));
        platform.RunUntil(2 * SecondNs);
        byte[]?[] stored = [platform.Retained.Slot("net", 0), platform.Retained.Slot("net", 1)];
        kernel.Shutdown();

        var (next, platform2, probe2) = Boot(retain: true, tuning: true, retained: stored, rampOutMin: "0");
        platform2.RunUntil(SecondNs);
        Assert.Equal(1e9, probe2.Get(platform2, "ramp.OUT_MAX"));
        Assert.Equal(10.0, probe2.Get(platform2, "ramp.RATE_UP"));
        var warning = Assert.Single(next.Warnings, w => w.Text.Contains("not restored", StringComparison.Ordinal)).Text;
        Assert.EndsWith("but not all of it: ramp.RATE_UP = 2, ramp.OUT_MAX = -5 were not restored (block 'ramp' (RAMP): parameter OUT_MIN = 0 (REAL) is not allowed: it must be below OUT_MAX (-5))", warning, StringComparison.Ordinal);
        Assert.Equal(3, probe2.Service!.RetainedRestored);
        next.Shutdown();
    }

    /// <summary>When nothing of a record could be restored (one retained parameter, refused), the store says the service starts from the manifest's defaults, and one value is "was".</summary>
    [Fact]
    public void A_record_whose_only_value_does_not_fit_is_discarded_whole()
    {
        var payload = new List<byte> { BlockNetworkRetain.LayoutVersion, 1, 0 };
        var name = System.Text.Encoding.UTF8.GetBytes("ramp.OUT_MAX");
        payload.Add((byte)name.Length);
        payload.AddRange(name);
        payload.Add((byte)BlockValueType.Real);
        payload.AddRange(BitConverter.GetBytes(-5.0));
        var record = new byte[payload.Count + 64];
        var length = RetainRecord.Encode(1, [.. payload], record);

        var (kernel, platform, probe) = Boot(retain: true, tuning: true, retained: [record[..length], null], rampOutMin: "0");
        platform.RunUntil(SecondNs);

        Assert.Equal(1e9, probe.Get(platform, "ramp.OUT_MAX"));
        Assert.Equal(0, probe.Service!.RetainedRestored);
        var warning = Assert.Single(kernel.Warnings, w => w.Text.Contains("not restored", StringComparison.Ordinal)).Text;
        Assert.EndsWith("ramp.OUT_MAX = -5 was not restored (block 'ramp' (RAMP): parameter OUT_MIN = 0 (REAL) is not allowed: it must be below OUT_MAX (-5)); it starts from its manifest's defaults", warning, StringComparison.Ordinal);
        kernel.Shutdown();
    }

    [Fact]
    public void Commands_allocate_nothing()
    {
        var (kernel, platform, probe) = Boot(retain: true, tuning: true);
        platform.RunUntil(SecondNs);
        _ = probe.Set(platform, "ramp.TARGET", 1.5);
        _ = probe.Set(platform, "ramp.RATE_UP", 1.5);
        _ = probe.Get(platform, "ramp.OUT");
        AllocationAssert.NoAllocations(200, i =>
        {
            _ = probe.Set(platform, "ramp.TARGET", 1.0 + (i % 7));
            _ = probe.Get(platform, "tot.OUT");
            _ = probe.Set(platform, "ramp.RATE_UP", 1.0 + (i % 7));
            _ = probe.Get(platform, "ramp.OUT_MAX");
        });
        kernel.Shutdown();
    }

    private static (SystemKernel Kernel, SimulationPlatform Platform, Operator Probe) Boot(bool retain, string rampName = "ramp", byte[]?[]? retained = null, (string Value, double To)? script = null, bool timer = false, bool tuning = false, string? rampOutMin = null)
    {
        var probe = new Operator();
        var catalog = new ProgramCatalog().AddControllers()
            .Add(new ProgramDescriptor("test.operator", "calls the network's commands", [], () => probe))
            .Add(new ProgramDescriptor("test.blocks", "controllers.blocks, its context kept", BlockNetworkManifest.Parameters, () => probe.Wrap(new BlockNetworkService()))
            {
                Tables = [BlockNetworkManifest.Blocks, BlockNetworkManifest.Outputs],
                Check = BlockNetworkManifest.Check,
            });
        var network = new ServiceManifest
        {
            Id = "net",
            Kind = "controller",
            Program = new ProgramManifest
            {
                Type = "test.blocks",
                Parameters = new() { ["commandEndpoint"] = Endpoint, ["retainSaveMs"] = "500" },
            },
            Timing = new TimingManifest { Class = "best-effort", PeriodUs = PeriodUs },
            Regions = [new RegionManifest { Name = "out", Access = "write", Points = ["ramp", "count", "total"] }],
            Endpoints = new EndpointsManifest { Provides = [new ProvidedEndpointManifest { Name = Endpoint, MaxMessageBytes = BlockNetworkCommands.MessageBytesMax }] },
            Retain = retain ? new RetainManifest { Path = "net" } : null,
        };
        var retainColumn = (retain, tuning) switch
        {
            (true, true) => "TARGET, RATE_UP, OUT_MAX",
            (true, false) => "TARGET",
            _ => string.Empty,
        };
        network.Program.Tables = new()
        {
            ["blocks"] =
            [
                new() { ["name"] = rampName, ["type"] = "RAMP", ["TARGET"] = "1.0", ["INITIAL"] = "1.0", ["RATE_UP"] = "10", ["RATE_DOWN"] = "10", ["settable"] = tuning ? "TARGET, RATE_UP, OUT_MIN, OUT_MAX" : "TARGET", ["retain"] = retainColumn },
                new() { ["name"] = "count", ["type"] = "CTU", ["PV"] = "10", ["settable"] = "CU, PV", ["retain"] = retain ? "CV" : string.Empty },
                new() { ["name"] = "tot", ["type"] = "TOTAL", ["IN"] = "0.5", ["retain"] = retain ? "TOTAL" : string.Empty },
                .. timer ? [new() { ["name"] = "delay", ["type"] = "TON", ["PT"] = "T#2s", ["settable"] = "IN, PT", ["retain"] = "IN, PT" }] : Array.Empty<Dictionary<string, string>>(),
            ],
            ["outputs"] =
            [
                new() { ["point"] = "out/ramp", ["from"] = $"{rampName}.OUT" },
                new() { ["point"] = "out/count", ["from"] = "count.CV" },
                new() { ["point"] = "out/total", ["from"] = "tot.OUT" },
            ],
        };
        if (rampOutMin is not null)
        {
            network.Program.Tables["blocks"][0]["OUT_MIN"] = rampOutMin;
        }

        var services = new List<ServiceManifest>
        {
            network,
            new()
            {
                Id = "operator",
                Kind = "gateway",
                Program = new ProgramManifest { Type = "test.operator" },
                Endpoints = new EndpointsManifest { Uses = [Endpoint] },
            },
        };
        if (script is { } step)
        {
            services.Add(new ServiceManifest
            {
                Id = "script",
                Kind = "gateway",
                Program = new ProgramManifest
                {
                    Type = ControllerPrograms.OperatorScriptType,
                    Parameters = new() { ["endpoint"] = Endpoint, ["setpointStepAtSeconds"] = "2", ["setpointStepTo"] = step.To.ToString(System.Globalization.CultureInfo.InvariantCulture), ["blockValue"] = step.Value },
                },
                Timing = new TimingManifest { Class = "best-effort", PeriodUs = PeriodUs },
                Endpoints = new EndpointsManifest { Uses = [Endpoint] },
                Restart = new RestartManifest { Policy = "temporary" },
            });
        }

        var system = new SystemManifest
        {
            System = "blocks-operator",
            Services = [.. services.Select(s => new SystemServiceEntry { Manifest = s.Id + ".yaml" })],
            Routes = [.. services.Where(s => s.Id != "net").Select(s => new RouteManifest { Client = s.Id, Endpoint = Endpoint })],
        };
        var files = services.Select(s => (s, s.Id + ".yaml")).ToList();
        Assert.Empty(ManifestValidator.ValidateSystem(system, "blocks-operator.yaml", files, catalog));
        var definition = SpecBuilder.Definition(system, "blocks-operator.yaml", files, catalog);
        var platform = new SimulationPlatform(1, new NoDevices());
        for (var slot = 0; slot < (retained?.Length ?? 0); slot++)
        {
            platform.Retained.SetSlot("net", slot, retained![slot]);
        }

        var kernel = new SystemKernel(definition, catalog, platform);
        kernel.Boot();
        return (kernel, platform, probe);
    }

    /// <summary>The operator: calls the network's endpoint and waits (in simulated time) for each reply.</summary>
    private sealed class Operator : IService, IReplyHandler
    {
        private readonly byte[] message = new byte[BlockNetworkCommands.MessageBytesMax];
        private EndpointClient? client;
        private bool replied;
        private CommandStatus status;
        private double value;

        /// <summary>The network's context, to fault it from outside as a crash would.</summary>
        public IServiceContext? Network { get; private set; }

        /// <summary>The network's service of the present incarnation.</summary>
        public BlockNetworkService? Service { get; private set; }

        public IService Wrap(BlockNetworkService service) => new Kept(this, service);

        public void Start(IServiceContext context) => client = context.OpenEndpointClient(Endpoint, this);

        public void Stop()
        {
        }

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            replied = true;
            // SetValue and refusals answer one status byte; GetValue's Ok carries the value.
            value = 0;
            status = reply.Length == 1 ? (CommandStatus)reply[0] : BlockNetworkCommands.DecodeValueReply(reply, out value);
        }

        public CommandStatus Set(SimulationPlatform platform, string name, double to) =>
            Call(platform, message.AsSpan(0, BlockNetworkCommands.EncodeSetValue(name, to, message))).Status;

        public double Get(SimulationPlatform platform, string name)
        {
            var (got, read) = Call(platform, message.AsSpan(0, BlockNetworkCommands.EncodeGetValue(name, message)));
            return got == CommandStatus.Ok ? read : throw new InvalidOperationException($"GetValue {name}: {got}");
        }

        public (CommandStatus Status, double Value) Call(SimulationPlatform platform, ReadOnlySpan<byte> request)
        {
            replied = false;
            if (client!.Call(request, out _) != SendResult.Accepted)
            {
                throw new InvalidOperationException("the network's endpoint did not take the request");
            }

            for (var i = 0; i < 1000 && !replied; i++)
            {
                platform.RunUntil(platform.NowNs + 1_000_000);
            }

            return replied ? (status, value) : throw new InvalidOperationException("no reply within 1 s");
        }

        private sealed class Kept(Operator owner, BlockNetworkService inner) : IService
        {
            public void Start(IServiceContext context)
            {
                owner.Network = context;
                owner.Service = inner;
                inner.Start(context);
            }

            public void Stop() => inner.Stop();
        }
    }
}
