using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Xunit.Abstractions;

namespace Neokernel.Gateway.Tests.Server;

public sealed class AttributeServicesTests(ITestOutputHelper output)
{
    private static ReadValueId Item(NodeId nodeId, AttributeId attribute = AttributeId.Value, string? indexRange = null) =>
        new() { NodeId = nodeId, AttributeId = (uint)attribute, IndexRange = indexRange };

    private static ReadRequest ReadOf(TimestampsToReturn timestamps, params ReadValueId[] items) =>
        new() { TimestampsToReturn = timestamps, NodesToRead = items };

    private static DataValue ReadOne(TestPlant plant, ReadValueId item, TimestampsToReturn timestamps = TimestampsToReturn.Both, UserRole role = UserRole.Viewer) =>
        Assert.Single(plant.Attributes().Read(ReadOf(timestamps, item), plant.Context(role)).Results!);

    [Fact]
    public void Read_Value_FromSourceWithTimestamps()
    {
        var plant = new TestPlant();

        var both = ReadOne(plant, Item(plant.Level.NodeId));
        var source = ReadOne(plant, Item(plant.Level.NodeId), TimestampsToReturn.Source);
        var server = ReadOne(plant, Item(plant.Level.NodeId), TimestampsToReturn.Server);
        var neither = ReadOne(plant, Item(plant.Level.NodeId), TimestampsToReturn.Neither);

        Assert.Equal(42.5, both.Value.AsDouble());
        Assert.Equal((TestPlant.SourceTicks, TestPlant.NowTicks), (both.SourceTimestamp, both.ServerTimestamp));
        Assert.Equal((TestPlant.SourceTicks, 0L), (source.SourceTimestamp, source.ServerTimestamp));
        Assert.Equal((0L, TestPlant.NowTicks), (server.SourceTimestamp, server.ServerTimestamp));
        Assert.Equal((0L, 0L), (neither.SourceTimestamp, neither.ServerTimestamp));
        Assert.Equal(4, plant.LevelSource.Reads);
    }

    [Fact]
    public void Read_BadQualityFromSource_KeepsItsTimestamps()
    {
        var plant = new TestPlant();
        var lost = plant.Space.AddVariable(plant.Folder, new UaVariableNode(plant.Id("Plant.Lost"), plant.Name("Lost"), LocalizedText.Invariant("Lost"),
            new StoredValue(new DataValue(new Variant(7.0), StatusCodes.BadCommunicationError, TestPlant.SourceTicks)))
        {
            DataType = plant.Space.DataType(DataTypeIds.Double),
        });

        var value = ReadOne(plant, Item(lost.NodeId));

        Assert.Equal(StatusCodes.BadCommunicationError, value.Status.Code);
        Assert.Equal((TestPlant.SourceTicks, TestPlant.NowTicks), (value.SourceTimestamp, value.ServerTimestamp));
    }

    [Fact]
    public void Read_VariableAttributes_AllOfTheClass()
    {
        var plant = new TestPlant();

        Assert.Equal(plant.Setpoint.NodeId, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.NodeId)).Value.AsNodeId());
        Assert.Equal((int)NodeClass.Variable, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.NodeClass)).Value.AsInt32());
        Assert.Equal(plant.Name("Setpoint"), ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.BrowseName)).Value.AsQualifiedName());
        Assert.Equal("Setpoint", ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.DisplayName)).Value.AsLocalizedText().Text);
        Assert.Equal(new NodeId(DataTypeIds.Double), ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.DataType)).Value.AsNodeId());
        Assert.Equal(-1, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.ValueRank)).Value.AsInt32());
        Assert.Equal(AccessLevels.ReadWrite, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.AccessLevel)).Value.AsByte());
        Assert.Equal(AccessLevels.CurrentRead, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.UserAccessLevel)).Value.AsByte());
        Assert.Equal(AccessLevels.ReadWrite, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.UserAccessLevel), role: UserRole.Operator).Value.AsByte());
        Assert.False(ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.Historizing)).Value.AsBoolean());
        Assert.Equal(-1.0, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.MinimumSamplingInterval)).Value.AsDouble());
        Assert.Equal([0u], (uint[])ReadOne(plant, Item(plant.Samples.NodeId, AttributeId.ArrayDimensions)).Value.Array!);
        var nonValue = ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.BrowseName));
        Assert.Equal((0L, TestPlant.NowTicks), (nonValue.SourceTimestamp, nonValue.ServerTimestamp));
    }

    [Fact]
    public void Read_OtherClasses_TheirAttributes()
    {
        var plant = new TestPlant();

        Assert.True(ReadOne(plant, Item(plant.SetMode.NodeId, AttributeId.Executable)).Value.AsBoolean());
        Assert.False(ReadOne(plant, Item(plant.SetMode.NodeId, AttributeId.UserExecutable)).Value.AsBoolean());
        Assert.True(ReadOne(plant, Item(plant.SetMode.NodeId, AttributeId.UserExecutable), role: UserRole.Operator).Value.AsBoolean());
        Assert.Equal(0, ReadOne(plant, Item(plant.Folder.NodeId, AttributeId.EventNotifier)).Value.AsByte());
        Assert.True(ReadOne(plant, Item(new NodeId(ReferenceTypeIds.HierarchicalReferences), AttributeId.IsAbstract)).Value.AsBoolean());
        Assert.False(ReadOne(plant, Item(new NodeId(ReferenceTypeIds.HasComponent), AttributeId.Symmetric)).Value.AsBoolean());
        Assert.Equal("ComponentOf", ReadOne(plant, Item(new NodeId(ReferenceTypeIds.HasComponent), AttributeId.InverseName)).Value.AsLocalizedText().Text);
        Assert.Equal(new NodeId(DataTypeIds.BaseDataType), ReadOne(plant, Item(new NodeId(VariableTypeIds.BaseDataVariableType), AttributeId.DataType)).Value.AsNodeId());
    }

    [Fact]
    public void Read_BadOperations_TheirCodes()
    {
        var plant = new TestPlant();
        var encoded = Item(plant.Setpoint.NodeId);
        encoded.DataEncoding = new QualifiedName(0, "Default Binary");
        var encodedAttribute = Item(plant.Setpoint.NodeId, AttributeId.DisplayName);
        encodedAttribute.DataEncoding = new QualifiedName(0, "Default Binary");
        var status = Item(new NodeId(VariableIds.Server_ServerStatus));
        var statusXml = Item(new NodeId(VariableIds.Server_ServerStatus));
        statusXml.DataEncoding = new QualifiedName(0, "Default XML");
        var statusBinary = Item(new NodeId(VariableIds.Server_ServerStatus));
        statusBinary.DataEncoding = new QualifiedName(0, "Default Binary");

        Assert.Equal(StatusCodes.BadNodeIdUnknown, ReadOne(plant, Item(plant.Id("Nope"))).Status.Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, ReadOne(plant, Item(plant.Setpoint.NodeId, AttributeId.IsAbstract)).Status.Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, ReadOne(plant, Item(plant.Setpoint.NodeId, (AttributeId)99)).Status.Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, ReadOne(plant, Item(plant.Folder.NodeId, AttributeId.Value)).Status.Code);
        Assert.Equal(StatusCodes.BadNotReadable, ReadOne(plant, Item(plant.Hidden.NodeId)).Status.Code);
        Assert.Equal(StatusCodes.BadDataEncodingInvalid, ReadOne(plant, encoded).Status.Code);
        Assert.Equal(StatusCodes.BadDataEncodingInvalid, ReadOne(plant, encodedAttribute).Status.Code);
        Assert.Equal(StatusCodes.BadDataEncodingUnsupported, ReadOne(plant, statusXml).Status.Code);
        Assert.True(ReadOne(plant, statusBinary).Status.IsGood);
        Assert.True(ReadOne(plant, status).Status.IsGood);
    }

    [Theory]
    [InlineData("1:3", new[] { 1.0, 2.0, 3.0 })]
    [InlineData("3:9", new[] { 3.0, 4.0 })]
    [InlineData("4", (double[])[4.0])]
    public void Read_IndexRangeOnArray_Slice(string range, double[] expected)
    {
        var plant = new TestPlant();

        var value = ReadOne(plant, Item(plant.Samples.NodeId, indexRange: range));

        Assert.True(value.Status.IsGood);
        Assert.Equal(expected, (double[])value.Value.Array!);
    }

    [Fact]
    public void Read_IndexRangeOnString_Substring_AndErrors()
    {
        var plant = new TestPlant();

        Assert.Equal("nk-", ReadOne(plant, Item(plant.Text.NodeId, indexRange: "2:4")).Value.AsString());
        Assert.Equal(StatusCodes.BadIndexRangeNoData, ReadOne(plant, Item(plant.Text.NodeId, indexRange: "10:12")).Status.Code);
        Assert.Equal(StatusCodes.BadIndexRangeNoData, ReadOne(plant, Item(plant.Samples.NodeId, indexRange: "5")).Status.Code);
        Assert.Equal(StatusCodes.BadIndexRangeNoData, ReadOne(plant, Item(plant.Setpoint.NodeId, indexRange: "0")).Status.Code);
        Assert.Equal(StatusCodes.BadIndexRangeNoData, ReadOne(plant, Item(plant.Samples.NodeId, indexRange: "0,1")).Status.Code);
        foreach (var invalid in (string[])["", "3:1", "2:2", "a", "-1", "1:", ":2", "1:2:3", " 1"])
        {
            Assert.Equal(StatusCodes.BadIndexRangeInvalid, ReadOne(plant, Item(plant.Samples.NodeId, indexRange: invalid)).Status.Code);
        }
    }

    [Fact]
    public void Read_ServiceErrors_TheirCodes()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxNodesPerRead = 2 });
        var attributes = plant.Attributes();
        var item = Item(plant.Level.NodeId);

        Assert.Equal(StatusCodes.BadNothingToDo, attributes.Read(new ReadRequest(), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTooManyOperations, attributes.Read(ReadOf(TimestampsToReturn.Both, item, item, item), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTimestampsToReturnInvalid, attributes.Read(ReadOf(TimestampsToReturn.Invalid, item), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTimestampsToReturnInvalid, attributes.Read(ReadOf((TimestampsToReturn)(-1), item), plant.Context()).ResponseHeader.ServiceResult.Code);
        var maxAge = ReadOf(TimestampsToReturn.Both, item);
        maxAge.MaxAge = -1;
        Assert.Equal(StatusCodes.BadMaxAgeInvalid, attributes.Read(maxAge, plant.Context()).ResponseHeader.ServiceResult.Code);
        maxAge.MaxAge = 0;
        Assert.True(attributes.Read(maxAge, plant.Context()).ResponseHeader.ServiceResult.IsGood);
        var handle = ReadOf(TimestampsToReturn.Both, item);
        handle.RequestHeader.RequestHandle = 77;
        Assert.Equal(77u, attributes.Read(handle, plant.Context()).ResponseHeader.RequestHandle);
    }

    /// <summary>The hot path of a polling client: a Read of 100 Values allocates its response, its results array, and nothing per item.</summary>
    [Fact]
    public void Read_HundredValues_AllocatesOnlyTheResponse()
    {
        var plant = new TestPlant();
        var ns = plant.Ns;
        var items = new ReadValueId[100];
        for (var i = 0; i < items.Length; i++)
        {
            var variable = plant.Space.AddVariable(plant.Folder, NodeId.FromString("Bench.p" + i, ns), "p" + i, DataTypeIds.Double, new Variant(i * 0.5));
            items[i] = Item(variable.NodeId);
        }

        var request = ReadOf(TimestampsToReturn.Both, items);
        var attributes = plant.Attributes();
        var context = plant.Context();
        var best = long.MaxValue;
        for (var round = 0; round < 50; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var response = attributes.Read(request, context);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(49.5, response.Results![99].Value.AsDouble());
        }

        var resultsBytes = GC.GetAllocatedBytesForCurrentThread();
        var results = new DataValue[100];
        resultsBytes = GC.GetAllocatedBytesForCurrentThread() - resultsBytes;
        GC.KeepAlive(results);
        output.WriteLine($"a Read of 100 Values allocates {best} bytes; its results array alone is {resultsBytes}");
        Assert.InRange(best, resultsBytes, resultsBytes + 256);
    }

    /// <summary>
    /// ReadReused answers with one response object, and with the results array of its length while
    /// at most four lengths are in use (the least recently read one makes way); 1000 values are
    /// kept, 1001 never; a Bad service result has no results; each answer has its own values.
    /// </summary>
    [Fact]
    public void ReadReused_KeepsAResultsArrayPerLength_FourLengthsAtMost_AndNoneOverAThousand()
    {
        var plant = new TestPlant();
        var attributes = plant.Attributes();
        var context = plant.Context();
        DataValue[] Results(int length) =>
            attributes.ReadReused(ReadOf(TimestampsToReturn.Both, [.. Enumerable.Repeat(Item(plant.Setpoint.NodeId), length)]), context).Results!;

        var first = attributes.ReadReused(ReadOf(TimestampsToReturn.Both, Item(plant.Setpoint.NodeId)), context);
        var second = attributes.ReadReused(ReadOf(TimestampsToReturn.Neither, Item(plant.Gain.NodeId)), context);
        Assert.Same(first, second);
        Assert.Equal(0.8, Assert.Single(second.Results!).Value.AsDouble());
        Assert.Equal(0, second.Results![0].ServerTimestamp);

        int[] lengths = [1, 2, 3, 1000];
        var kept = lengths.Select(Results).ToArray();
        Assert.All(lengths.Zip(kept), pair => Assert.Same(pair.Second, Results(pair.First)));
        Assert.NotSame(Results(1001), Results(1001));

        // A fifth length takes the place of the least recently read (length 1, read first above).
        Results(2);
        Results(3);
        Results(1000);
        var fifth = Results(5);
        Assert.Same(fifth, Results(5));
        Assert.Same(kept[1], Results(2));
        Assert.NotSame(kept[0], Results(1));

        var refused = attributes.ReadReused(ReadOf(TimestampsToReturn.Both), context);
        Assert.Equal(StatusCodes.BadNothingToDo, refused.ResponseHeader.ServiceResult.Code);
        Assert.Null(refused.Results);
    }

    private static WriteRequest WriteOf(params WriteValue[] items) => new() { NodesToWrite = items };

    private static WriteValue WriteItem(NodeId nodeId, Variant value, AttributeId attribute = AttributeId.Value, string? indexRange = null) =>
        new() { NodeId = nodeId, AttributeId = (uint)attribute, Value = new DataValue(value), IndexRange = indexRange };

    private static StatusCode WriteOne(TestPlant plant, WriteValue item, UserRole role) =>
        Assert.Single(plant.Attributes().Write(WriteOf(item), plant.Context(role)).Results!);

    [Fact]
    public void Write_Value_ByRole()
    {
        var plant = new TestPlant();

        Assert.Equal(StatusCodes.BadUserAccessDenied, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant(2.0)), UserRole.Viewer).Code);
        Assert.Equal(1.5, ReadOne(plant, Item(plant.Setpoint.NodeId)).Value.AsDouble());
        Assert.True(WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant(2.0)), UserRole.Operator).IsGood);
        Assert.Equal(2.0, ReadOne(plant, Item(plant.Setpoint.NodeId)).Value.AsDouble());
        Assert.Equal(StatusCodes.BadUserAccessDenied, WriteOne(plant, WriteItem(plant.Gain.NodeId, new Variant(1.0)), UserRole.Operator).Code);
        Assert.True(WriteOne(plant, WriteItem(plant.Gain.NodeId, new Variant(1.0)), UserRole.Engineer).IsGood);
    }

    [Fact]
    public void Write_SourceRefuses_ItsCodeReturned()
    {
        var plant = new TestPlant();
        var level = new UaVariableNode(plant.Id("Plant.Level2"), plant.Name("Level2"), LocalizedText.Invariant("Level2"), plant.LevelSource)
        {
            DataType = plant.Space.DataType(DataTypeIds.Double),
            AccessLevel = AccessLevels.ReadWrite,
        };
        plant.Space.AddVariable(plant.Folder, level);

        Assert.Equal(StatusCodes.BadUserAccessDenied, WriteOne(plant, WriteItem(level.NodeId, new Variant(3.0)), UserRole.Operator).Code);
        Assert.Equal(UserRole.Operator, plant.LevelSource.LastWriter);
        Assert.True(WriteOne(plant, WriteItem(level.NodeId, new Variant(3.0)), UserRole.Engineer).IsGood);
    }

    [Fact]
    public void Write_Types_CheckedAgainstDataTypeAndRank()
    {
        var plant = new TestPlant();

        Assert.Equal(StatusCodes.BadTypeMismatch, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant(2.0f)), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant("2")), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, Variant.Null), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch,
            WriteOne(plant, WriteItem(plant.Setpoint.NodeId, Variant.FromArray(BuiltInType.Double, (double[])[1.0])), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch, WriteOne(plant, WriteItem(plant.Samples.NodeId, new Variant(1.0)), UserRole.Operator).Code);
        Assert.True(WriteOne(plant, WriteItem(plant.Samples.NodeId, Variant.FromArray(BuiltInType.Double, (double[])[9.0])), UserRole.Operator).IsGood);
        Assert.True(WriteOne(plant, WriteItem(plant.Period.NodeId, new Variant(250.0)), UserRole.Operator).IsGood);
        Assert.True(WriteOne(plant, WriteItem(plant.State.NodeId, new Variant(3)), UserRole.Operator).IsGood);
        Assert.Equal(StatusCodes.BadTypeMismatch, WriteOne(plant, WriteItem(plant.State.NodeId, new Variant(3u)), UserRole.Operator).Code);
    }

    [Fact]
    public void Write_BadOperations_TheirCodes()
    {
        var plant = new TestPlant();

        Assert.Equal(StatusCodes.BadNodeIdUnknown, WriteOne(plant, WriteItem(plant.Id("Nope"), new Variant(1.0)), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadNotWritable, WriteOne(plant, WriteItem(plant.Hidden.NodeId, new Variant(1.0)), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadNotWritable, WriteOne(plant, WriteItem(new NodeId(VariableIds.Server_ServiceLevel), new Variant((byte)1)), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadNotWritable, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant(LocalizedText.Invariant("x")), AttributeId.DisplayName), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant(true), AttributeId.IsAbstract), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, WriteOne(plant, WriteItem(plant.Setpoint.NodeId, new Variant(true), (AttributeId)0), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, WriteOne(plant, WriteItem(plant.Folder.NodeId, new Variant(1.0)), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadWriteNotSupported,
            WriteOne(plant, WriteItem(plant.Samples.NodeId, Variant.FromArray(BuiltInType.Double, (double[])[1.0]), indexRange: "1"), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadIndexRangeInvalid,
            WriteOne(plant, WriteItem(plant.Samples.NodeId, Variant.FromArray(BuiltInType.Double, (double[])[1.0]), indexRange: "x"), UserRole.Engineer).Code);
    }

    [Fact]
    public void Write_DisplayName_WhenWriteMaskAllows_ForEngineer()
    {
        var plant = new TestPlant();
        var named = plant.Space.AddObject(plant.Folder, plant.Id("Plant.Named"), "Named");
        var open = plant.Space.Add(new UaObjectNode(plant.Id("Plant.Open"), plant.Name("Open"), LocalizedText.Invariant("Open")) { WriteMask = 1u << 6 });
        plant.Space.AddReference(plant.Folder, ReferenceTypeIds.Organizes, open);
        var text = new Variant(LocalizedText.Invariant("Renamed"));

        Assert.Equal(StatusCodes.BadNotWritable, WriteOne(plant, WriteItem(named.NodeId, text, AttributeId.DisplayName), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadUserAccessDenied, WriteOne(plant, WriteItem(open.NodeId, text, AttributeId.DisplayName), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch, WriteOne(plant, WriteItem(open.NodeId, new Variant("Renamed"), AttributeId.DisplayName), UserRole.Engineer).Code);
        Assert.True(WriteOne(plant, WriteItem(open.NodeId, text, AttributeId.DisplayName), UserRole.Engineer).IsGood);
        Assert.Equal("Renamed", open.DisplayName.Text);
        Assert.Equal(1u << 6, ReadOne(plant, Item(open.NodeId, AttributeId.UserWriteMask), role: UserRole.Engineer).Value.AsUInt32());
        Assert.Equal(0u, ReadOne(plant, Item(open.NodeId, AttributeId.UserWriteMask), role: UserRole.Operator).Value.AsUInt32());
    }

    [Fact]
    public void Write_ServiceErrors_TheirCodes()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxNodesPerWrite = 1 });
        var item = WriteItem(plant.Setpoint.NodeId, new Variant(2.0));

        Assert.Equal(StatusCodes.BadNothingToDo, plant.Attributes().Write(new WriteRequest(), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTooManyOperations, plant.Attributes().Write(WriteOf(item, item), plant.Context()).ResponseHeader.ServiceResult.Code);
    }
}
