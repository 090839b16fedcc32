using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Neokernel.Contracts;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Tests;

public sealed class HostedServiceSpecCodecTests
{
    /// <summary>A spec that uses every part of the encoding: typed parameters of each type, timing with a CPU, every list, a safe state, routes with control rights.</summary>
    internal static HostedServiceSpec EveryFeature()
    {
        var parameters = ProgramParameters.Parse(
            "gateway",
            [
                ParameterDeclaration.Number("gainPercent", "gain", 50.0, "%", min: 0, max: 100),
                ParameterDeclaration.Integer("samples", "samples", 1, min: 1, max: 16),
                ParameterDeclaration.RequiredText("region", "region"),
                ParameterDeclaration.Boolean("inverted", "invert", false),
                ParameterDeclaration.Text("label", "a label", "pümp ✓"),
            ],
            new Dictionary<string, string> { ["gainPercent"] = "12.5", ["samples"] = "4", ["region"] = "tank.inputs", ["inverted"] = "true" },
            [new TableDeclaration("polls", "poll groups", [ParameterDeclaration.Integer("address", "first register", 0, min: 0, max: 65535), ParameterDeclaration.RequiredText("point", "point")])],
            new Dictionary<string, List<Dictionary<string, string>>> { ["polls"] = [new() { ["point"] = "level" }, new() { ["address"] = "10", ["point"] = "flow" }] });
        var service = new ServiceSpec
        {
            Id = "gateway",
            Kind = ServiceKind.Gateway,
            Description = "reads and commands",
            Program = new ProgramSpec("test.typed", parameters),
            Timing = new TimingSpec(TimingClass.RtDeadline, 80, 1, 10_000, 2_000, 8_000, 5_000, OverrunPolicy.Fault, 3),
            Regions = [new RegionSpec("gateway.out", RegionAccess.Write, ["a", "b"]), new RegionSpec("tank.inputs", RegionAccess.Read, [])],
            Provides = [new ProvidedEndpointSpec("gateway.commands", 256, 8)],
            Uses = ["kernel.control", "tank-controller.commands"],
            Devices = [new DeviceSpec("plc", "tcp://127.0.0.1:1502", DeviceAccess.ReadWrite), new DeviceSpec("bank", "sim://tank/level", DeviceAccess.Read)],
            Limits = new LimitsSpec(64 << 20, 20_000, 100_000, 64),
            Restart = new RestartSpec(RestartPolicy.Transient, 3, 10_000, 100, 1_000, 250),
            SafeState = new SafeStateSpec(BadInputPolicy.SafeState, [new SafeValueSpec("gateway.out", "a", -1.5)]),
            DependsOn = ["tank-plant"],
            Retain = new RetainSpec("plant/gateway", 512),
            Isolated = true,
        };
        return new HostedServiceSpec(
            service,
            [
                new HostedRegion("gateway.out", "gateway", ["a", "b"], 10_000),
                new HostedRegion("tank.inputs", "level-sensor", ["level"], 0),
                new HostedRegion("bench.signals", "generator", ["heartbeat", .. new PointSeries("s", 0, 12, 4).Names(), "x7"], 100_000),
            ],
            [
                new HostedEndpoint("gateway.commands", "gateway", ["operator", "hmi"], 8, 256),
                new HostedEndpoint("kernel.control", KernelEndpoints.Provider, ["hmi", "gateway"], KernelEndpoints.QueueDepth, KernelEndpoints.MaxMessageBytes),
            ],
            [new RouteSpec("gateway", "kernel.control", ControlRights.Restart | ControlRights.Acknowledge)]);
    }

    [Fact]
    public void Decode_OfEncode_KeepsEveryField()
    {
        var spec = EveryFeature();
        var bytes = HostedServiceSpecCodec.Encode(spec);
        var decoded = HostedServiceSpecCodec.Decode(bytes);

        Assert.Equal(bytes, HostedServiceSpecCodec.Encode(decoded));
        var service = decoded.Service;
        Assert.Equal("reads and commands", service.Description);
        Assert.Equal(spec.Service.Timing, service.Timing);
        Assert.Equal(12.5, service.Program.Parameters.Number("gainPercent"));
        Assert.Equal(4, service.Program.Parameters.Integer("samples"));
        Assert.True(service.Program.Parameters.Boolean("inverted"));
        Assert.Equal("pümp ✓", service.Program.Parameters.Text("label"));
        Assert.True(service.Program.Parameters.IsGiven("region"));
        Assert.False(service.Program.Parameters.IsGiven("label"));
        var polls = service.Program.Parameters.Table("polls");
        Assert.Equal(["level", "flow"], polls.Select(row => row.Text("point")).ToArray());
        Assert.Equal([0L, 10L], polls.Select(row => row.Integer("address")).ToArray());
        Assert.False(polls[0].IsGiven("address"));
        Assert.Equal(["a", "b"], service.Regions[0].Points.ToArray());
        Assert.Equal(spec.Service.Limits, service.Limits);
        Assert.Equal(spec.Service.Restart, service.Restart);
        Assert.Equal(-1.5, service.SafeState!.Outputs[0].Value);
        Assert.Equal(DeviceAccess.ReadWrite, service.Devices[0].Access);
        Assert.Equal(["tank-plant"], service.DependsOn.ToArray());
        Assert.Equal(new RetainSpec("plant/gateway", 512), service.Retain);
        Assert.True(service.Isolated);
        Assert.Equal(["hmi", "gateway"], decoded.Endpoints[1].Clients.ToArray());
        Assert.Equal(10_000, decoded.Regions[0].WriterPeriodUs);
        Assert.Equal(ControlRights.Restart | ControlRights.Acknowledge, decoded.Routes[0].Operations);
    }

    [Fact]
    public void Decode_OfAMinimalSpec_KeepsItsAbsences()
    {
        var minimal = new HostedServiceSpec(
            new ServiceSpec { Id = "idle", Kind = ServiceKind.Plant, Program = new ProgramSpec("test.noop", ProgramParameters.Empty), Restart = new RestartSpec(RestartPolicy.Permanent, 0, 0, 0, 0, 0), Isolated = false },
            [],
            [],
            []);

        var decoded = HostedServiceSpecCodec.Decode(HostedServiceSpecCodec.Encode(minimal));

        Assert.Null(decoded.Service.Description);
        Assert.Null(decoded.Service.Timing);
        Assert.Null(decoded.Service.SafeState);
        Assert.Null(decoded.Service.Retain);
        Assert.Empty(decoded.Service.Program.Parameters.All);
        Assert.False(decoded.Service.Isolated);
    }

    [Fact]
    public void A_table_with_other_columns_keeps_them_as_text_through_the_codec()
    {
        var table = new TableDeclaration("blocks", "rows whose other columns the program judges", [ParameterDeclaration.RequiredText("name", "the row's name")]) { OtherColumns = true };
        var texts = new Dictionary<string, List<Dictionary<string, string>>> { ["blocks"] = [new() { ["name"] = "tic", ["KC"] = "2.5", ["PV"] = "tank.inputs/level" }] };
        var parameters = ProgramParameters.Parse("svc", [], new Dictionary<string, string>(), [table], texts);
        var spec = new HostedServiceSpec(
            new ServiceSpec { Id = "svc", Kind = ServiceKind.Controller, Program = new ProgramSpec("test.blocks", parameters), Restart = new RestartSpec(RestartPolicy.Permanent, 0, 0, 0, 0, 0), Isolated = true },
            [],
            [],
            []);

        var row = HostedServiceSpecCodec.Decode(HostedServiceSpecCodec.Encode(spec)).Service.Program.Parameters.Table("blocks")[0];

        Assert.Equal(("tic", "2.5", "tank.inputs/level"), (row.Text("name"), row.Text("KC"), row.Text("PV")));
        Assert.True(row.IsGiven("KC"));
        var closed = table with { OtherColumns = false };
        Assert.Throws<ServiceConfigurationException>(() => ProgramParameters.Parse("svc", [], new Dictionary<string, string>(), [closed], texts));
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(4, "version")]
    [InlineData(5, "service.id")]
    public void Decode_OfABrokenField_NamesIt(int offset, string field)
    {
        var bytes = HostedServiceSpecCodec.Encode(EveryFeature());
        bytes[offset] ^= 0xFF;
        if (field == "service.id")
        {
            bytes[offset + 1] = 0xFF;
        }

        var error = Assert.Throws<InvalidDataException>(() => HostedServiceSpecCodec.Decode(bytes));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OfTrailingBytes_OrTooMany_Refuses()
    {
        var bytes = HostedServiceSpecCodec.Encode(EveryFeature());
        Assert.Contains("after the last field", Assert.Throws<InvalidDataException>(() => HostedServiceSpecCodec.Decode([.. bytes, 0])).Message, StringComparison.Ordinal);
        Assert.Contains("more than", Assert.Throws<InvalidDataException>(() => HostedServiceSpecCodec.Decode(new byte[HostedServiceSpecCodec.BytesMax + 1])).Message, StringComparison.Ordinal);
    }

    /// <summary>Every proper prefix of a valid encoding is refused as data, naming where it was cut.</summary>
    [Fact]
    public void Decode_OfEveryTruncation_ThrowsInvalidData()
    {
        var bytes = HostedServiceSpecCodec.Encode(EveryFeature());
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<InvalidDataException>(() => HostedServiceSpecCodec.Decode(bytes.AsSpan(0, length)));
            Assert.StartsWith("hosted service spec: ", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Random bytes, with or without a valid header, are refused as data and never throw anything else.</summary>
    [Property(MaxTest = 300)]
    public Property Decode_OfRandomBytes_ThrowsOnlyInvalidData()
    {
        var header = HostedServiceSpecCodec.Encode(EveryFeature()).AsSpan(0, 5).ToArray();
        var bytes = Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf();
        var withHeader = Gen.Elements(true, false);
        return Prop.ForAll(Gen.Zip(bytes, withHeader).ToArbitrary(), input =>
            OnlyInvalidData(input.Item2 ? [.. header, .. input.Item1] : input.Item1));
    }

    /// <summary>A valid encoding with bytes changed decodes to some spec or is refused as data: never another exception, never a hang.</summary>
    [Property(MaxTest = 500)]
    public Property Decode_OfAMutatedEncoding_ThrowsOnlyInvalidData()
    {
        var valid = HostedServiceSpecCodec.Encode(EveryFeature());
        var mutation = Gen.Zip(Gen.Choose(0, valid.Length - 1), Gen.Choose(0, 255));
        var mutations = Gen.Zip(mutation.ArrayOf(), Gen.Choose(1, valid.Length));
        return Prop.ForAll(mutations.ToArbitrary(), input =>
        {
            var (changes, length) = input;
            var bytes = (byte[])valid.Clone();
            foreach (var (offset, value) in changes)
            {
                bytes[offset] = (byte)value;
            }

            return OnlyInvalidData(bytes.AsSpan(0, length).ToArray());
        });
    }

    private static bool OnlyInvalidData(byte[] bytes)
    {
        try
        {
            HostedServiceSpecCodec.Decode(bytes);
            return true;
        }
        catch (InvalidDataException)
        {
            return true;
        }
    }
}
