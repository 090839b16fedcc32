namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Decodes Read requests into one <see cref="ReadRequest"/> it reuses, with its header and up to
/// <see cref="ItemsKeptMax"/> <see cref="ReadValueId"/>s kept from one request to the next: the
/// generated decoder makes 100 objects and an array for a Read of 100 nodes, this makes none once
/// it has seen the request's size. With the server's known NodeIds in the decoder, the ids are
/// the nodes' own, so a polling client's Read decodes without garbage.
/// </summary>
/// <remarks>
/// The request is valid until the next <see cref="Decode"/>: the transport's, whose Read is served
/// and answered before its <c>OnRequest</c> returns (a Read is never kept). A request of more
/// items than <see cref="ItemsKeptMax"/> is decoded anew, so what stays is bounded. The fields are
/// read in the generated <see cref="ReadRequest.Decode"/>'s order, which is Part 4's.
/// </remarks>
internal sealed class ReadRequestDecoder
{
    /// <summary>Items kept for reuse: a request of more is decoded into new objects.</summary>
    public const int ItemsKeptMax = 1000;

    private readonly ReadRequest request = new();
    private readonly List<ReadValueId> items = [];
    private readonly ExactLengthArrays<ReadValueId> arrays = new(ItemsKeptMax);

    public ReadRequest Decode(ref UaDecoder decoder)
    {
        DecodeHeader(ref decoder, request.RequestHeader);
        request.MaxAge = decoder.ReadDouble();
        request.TimestampsToReturn = (TimestampsToReturn)decoder.ReadInt32();
        request.NodesToRead = null;
        var count = decoder.ReadArrayLength("NodesToRead");
        if (count > ItemsKeptMax)
        {
            var fresh = new ReadValueId[count];
            for (var i = 0; i < fresh.Length; i++)
            {
                fresh[i] = ReadValueId.Decode(ref decoder);
            }

            request.NodesToRead = fresh;
            return request;
        }

        if (count >= 0)
        {
            request.NodesToRead = DecodeKept(ref decoder, count);
        }

        return request;
    }

    private static void DecodeHeader(ref UaDecoder decoder, RequestHeader header)
    {
        header.AuthenticationToken = decoder.ReadNodeId();
        header.Timestamp = decoder.ReadDateTime();
        header.RequestHandle = decoder.ReadUInt32();
        header.ReturnDiagnostics = decoder.ReadUInt32();
        header.AuditEntryId = decoder.ReadString();
        header.TimeoutHint = decoder.ReadUInt32();
        header.AdditionalHeader = decoder.ReadExtensionObject();
    }

    private ReadValueId[] DecodeKept(ref UaDecoder decoder, int count)
    {
        var array = arrays.Rent(count);
        while (items.Count < count)
        {
            items.Add(new ReadValueId());
        }

        for (var i = 0; i < count; i++)
        {
            var item = items[i];
            item.NodeId = decoder.ReadNodeId();
            item.AttributeId = decoder.ReadUInt32();
            item.IndexRange = decoder.ReadString();
            item.DataEncoding = decoder.ReadQualifiedName();
            array[i] = item;
        }

        return array;
    }
}
