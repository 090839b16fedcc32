using Neokernel.Gateway.Ua;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Generated;

/// <summary>The generated identifiers carry the specification's values (spot checks against Part 4, 5 and 6).</summary>
public sealed class GeneratedIdentifiersTests
{
    [Fact]
    public void StatusCodes_KnownCodes_HaveTheSpecificationsValues()
    {
        Assert.Equal(0x00000000u, StatusCodes.Good);
        Assert.Equal(0x800B0000u, StatusCodes.BadServiceUnsupported);
        Assert.Equal(0x80340000u, StatusCodes.BadNodeIdUnknown);
        Assert.Equal(0x80350000u, StatusCodes.BadAttributeIdInvalid);
    }

    [Fact]
    public void NameOf_InfoBitsSet_IgnoresThem()
    {
        Assert.Equal("BadServiceUnsupported", StatusCodes.NameOf(StatusCodes.BadServiceUnsupported));
        Assert.Equal("BadServiceUnsupported", StatusCodes.NameOf(StatusCodes.BadServiceUnsupported | 0x0000_0480));
        Assert.Equal("Good", StatusCodes.NameOf(0x0000_0400));
        Assert.Equal("Uncertain", StatusCodes.NameOf(StatusCodes.Uncertain));
    }

    [Fact]
    public void NameOf_UnknownCode_IsNull()
    {
        Assert.Null(StatusCodes.NameOf(0x8FFF_0000));
        Assert.Null(StatusCodes.DescriptionOf(0x8FFF_0000));
    }

    [Fact]
    public void DescriptionOf_KnownCode_IsTheSpecificationsText()
    {
        Assert.Equal("The server does not support the requested service.", StatusCodes.DescriptionOf(StatusCodes.BadServiceUnsupported | 0x1));
        Assert.Equal("The operation succeeded.", StatusCodes.DescriptionOf(StatusCodes.Good));
    }

    [Fact]
    public void NameOf_ManyLookups_AllocatesNothing()
    {
        uint[] codes = [StatusCodes.Good, StatusCodes.BadTimeout, StatusCodes.BadServiceUnsupported | 0x10, 0x8FFF_0000];
        var found = 0;
        AllocationAssert.NoAllocations(1000, i =>
        {
            found += StatusCodes.NameOf(codes[i % codes.Length]) is null ? 0 : 1;
            found += StatusCodes.DescriptionOf(codes[i % codes.Length]) is null ? 0 : 1;
        });
        Assert.True(found > 0, "the look-ups must find the known codes");
    }

    [Fact]
    public void NodeIds_KnownNodes_HaveTheSpecificationsNumbers()
    {
        Assert.Equal(2258u, VariableIds.Server_ServerStatus_CurrentTime);
        Assert.Equal(2253u, ObjectIds.Server);
        Assert.Equal(84u, ObjectIds.RootFolder);
        Assert.Equal(631u, ObjectIds.ReadRequest_Encoding_DefaultBinary);
        Assert.Equal(852u, DataTypeIds.ServerState);
        Assert.Equal(47u, ReferenceTypeIds.HasComponent);
        Assert.Equal(61u, ObjectTypeIds.FolderType);
        Assert.Equal(63u, VariableTypeIds.BaseDataVariableType);
        Assert.Equal(11492u, MethodIds.Server_GetMonitoredItems);
    }

    [Fact]
    public void AttributeId_Values_MatchPart6()
    {
        Assert.Equal(1u, (uint)AttributeId.NodeId);
        Assert.Equal(13u, (uint)AttributeId.Value);
        Assert.Equal(14u, (uint)AttributeId.DataType);
        Assert.Equal(27u, (uint)AttributeId.AccessLevelEx);
    }
}
