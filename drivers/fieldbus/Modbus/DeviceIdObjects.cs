namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// Builds FC43/14's object list (id, length, value; repeated) into a caller's buffer. A slave adds
/// objects until one does not fit, then answers with more-follows set and that object as the next.
/// </summary>
public ref struct DeviceIdObjectWriter
{
    /// <summary>The PDU less function, MEI type, code, conformity, more-follows, next id and count.</summary>
    public const int ObjectBytesMax = ModbusLimits.PduBytesMax - 7;

    private readonly Span<byte> destination;

    public DeviceIdObjectWriter(Span<byte> destination)
    {
        this.destination = destination.Length > ObjectBytesMax ? destination[..ObjectBytesMax] : destination;
    }

    public int BytesWritten { get; private set; }

    public int ObjectCount { get; private set; }

    public readonly ReadOnlySpan<byte> Written => destination[..BytesWritten];

    /// <summary>Adds one object; false (and nothing written) when it does not fit or there are already 255.</summary>
    public bool TryAdd(byte objectId, ReadOnlySpan<byte> value)
    {
        var needed = 2 + value.Length;
        if (value.Length > byte.MaxValue || BytesWritten + needed > destination.Length || ObjectCount == byte.MaxValue)
        {
            return false;
        }
        destination[BytesWritten] = objectId;
        destination[BytesWritten + 1] = (byte)value.Length;
        value.CopyTo(destination[(BytesWritten + 2)..]);
        BytesWritten += needed;
        ObjectCount++;
        return true;
    }
}

/// <summary>Reads FC43/14's object list one object at a time, with no allocation.</summary>
public ref struct DeviceIdObjectReader
{
    private ReadOnlySpan<byte> remaining;

    public DeviceIdObjectReader(ReadOnlySpan<byte> objects)
    {
        remaining = objects;
    }

    /// <summary>The next object; false at the end of the list or when the rest is shorter than its length byte says.</summary>
    public bool TryRead(out byte objectId, out ReadOnlySpan<byte> value)
    {
        objectId = 0;
        value = default;
        if (remaining.Length < 2 || remaining.Length < 2 + remaining[1])
        {
            return false;
        }
        objectId = remaining[0];
        value = remaining.Slice(2, remaining[1]);
        remaining = remaining[(2 + remaining[1])..];
        return true;
    }

    /// <summary>True when <paramref name="objects"/> is exactly <paramref name="count"/> whole objects.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> objects, int count)
    {
        var reader = new DeviceIdObjectReader(objects);
        for (var index = 0; index < count; index++)
        {
            if (!reader.TryRead(out _, out _))
            {
                return false;
            }
        }
        return reader.remaining.IsEmpty;
    }
}
