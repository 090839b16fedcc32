using System.Buffers.Binary;
using System.Text;
using Neokernel.Kernel.Capabilities;

namespace Neokernel.Rt.Linux;

/// <summary>
/// What a service process is told about the fds passed with it: which kernel object they back,
/// what it may do with it, and the sizes to check the fds against. A region comes with one fd, and
/// so does each ring of an endpoint (a service host is sent one grant per ring it may use; the
/// test peer takes a request and a reply ring in one). The receiver trusts these sizes, not the
/// shared memory's own header, because a peer can write the memory but not the grant.
/// </summary>
public sealed record CapabilityGrant(CapabilityKind Kind, string Name, Rights Rights, int LengthBytes, int Capacity, int MaxMessageBytes)
{
    public const int NameBytesMax = 256;
    private const int FixedBytes = 1 + 1 + 4 + 4 + 4 + 2;

    public static CapabilityGrant ForRegion(string name, Rights rights, int lengthBytes) =>
        new(CapabilityKind.Region, name, rights, lengthBytes, 0, 0);

    public static CapabilityGrant ForEndpoint(string name, Rights rights, int capacity, int maxMessageBytes) =>
        new(CapabilityKind.Endpoint, name, rights, SharedMessageRing.BytesFor(capacity, maxMessageBytes), capacity, maxMessageBytes);

    /// <summary>Little-endian: kind, rights, length, capacity, max message bytes, name length, UTF-8 name.</summary>
    public byte[] Encode()
    {
        var name = Encoding.UTF8.GetBytes(Name);
        if (name.Length > NameBytesMax)
        {
            throw new ArgumentException($"grant name '{Name}' is {name.Length} UTF-8 bytes; at most {NameBytesMax}", nameof(Name));
        }

        var bytes = new byte[FixedBytes + name.Length];
        bytes[0] = (byte)Kind;
        bytes[1] = (byte)Rights;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), LengthBytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), Capacity);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), MaxMessageBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(14), (ushort)name.Length);
        name.CopyTo(bytes, FixedBytes);
        return bytes;
    }

    public static CapabilityGrant Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < FixedBytes)
        {
            throw new InvalidDataException($"a capability grant has at least {FixedBytes} bytes, got {bytes.Length}");
        }

        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[14..]);
        if (nameLength > NameBytesMax || bytes.Length != FixedBytes + nameLength)
        {
            throw new InvalidDataException($"capability grant: name length {nameLength} does not fit the {bytes.Length}-byte message");
        }

        return new CapabilityGrant(
            (CapabilityKind)bytes[0],
            Encoding.UTF8.GetString(bytes.Slice(FixedBytes, nameLength)),
            (Rights)bytes[1],
            BinaryPrimitives.ReadInt32LittleEndian(bytes[2..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[10..]));
    }
}
