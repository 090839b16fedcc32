namespace Neokernel.Gateway.Ua.Server;

/// <summary>What every service of this folder does alike: the response header, and the operation-count check.</summary>
internal static class ServiceResults
{
    /// <summary>The response header answering <paramref name="request"/> at the server's time, with the service result.</summary>
    public static ResponseHeader Header(RequestHeader request, in UaRequestContext context, StatusCode serviceResult = default) =>
        FillHeader(new ResponseHeader(), request, context, serviceResult);

    /// <summary>Makes <paramref name="header"/> (a reused response's) the header answering <paramref name="request"/>, as <see cref="Header"/> makes a new one.</summary>
    public static ResponseHeader FillHeader(ResponseHeader header, RequestHeader request, in UaRequestContext context, StatusCode serviceResult = default)
    {
        header.Timestamp = context.NowTicks;
        header.RequestHandle = request.RequestHandle;
        header.ServiceResult = serviceResult;
        header.ServiceDiagnostics = null;
        header.StringTable = null;
        header.AdditionalHeader = default;
        return header;
    }

    /// <summary>BadNothingToDo for no operations, BadTooManyOperations beyond <paramref name="max"/> (Part 4 §7.39 service results), else Good.</summary>
    public static StatusCode CheckCount(int count, uint max) =>
        count == 0 ? StatusCodes.BadNothingToDo
        : (uint)count > max ? StatusCodes.BadTooManyOperations
        : StatusCode.Good;
}

/// <summary>
/// Whether a value fits a variable's or argument's DataType and ValueRank (Write's and Call's
/// BadTypeMismatch). A value is of a built-in type; it fits a DataType that is that built-in type or
/// one of its supertypes (Double into Number or BaseDataType), or a DataType encoded as that
/// built-in type (Double into Duration, Int32 into an enumeration, an ExtensionObject into a structure).
/// </summary>
public static class ValueTypeCheck
{
    public static bool Fits(AddressSpace space, in Variant value, UaTypeNode dataType, int valueRank)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(dataType);
        if (value.IsNull)
        {
            return dataType.EncodedAs == BuiltInType.Variant;
        }

        return RankFits(value, valueRank) && ElementFits(space, value.Type, dataType);
    }

    private static bool RankFits(in Variant value, int valueRank) => valueRank switch
    {
        -1 => !value.IsArray,
        -2 => true,
        -3 => !value.IsArray || value.Dimensions is null,
        0 => value.IsArray,
        1 => value.IsArray && value.Dimensions is null,
        _ => value.IsArray && value.Dimensions?.Length == valueRank,
    };

    private static bool ElementFits(AddressSpace space, BuiltInType type, UaTypeNode dataType)
    {
        if (type == BuiltInType.Variant)
        {
            // An array of Variants fits where any value goes.
            return dataType.EncodedAs == BuiltInType.Variant;
        }

        var valueType = space.DataTypeOf(type);
        return dataType.EncodedAs == type || (valueType is not null && valueType.IsSubtypeOf(dataType));
    }
}
