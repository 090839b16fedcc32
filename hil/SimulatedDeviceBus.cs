using System.Buffers.Binary;
using Neokernel.Kernel.Platform;

namespace Neokernel.Hil;

/// <summary>
/// Simulated devices for <c>sim://</c> URIs, e.g. <c>sim://tank/level</c>: each URI is a bank of
/// <see cref="RegisterBankBytes"/> bytes, zero at first, created on first open and shared by every
/// opener. That is how a plant model and a driver meet without knowing of each other: the plant
/// writes <c>sim://tank/level</c>, the level transmitter reads it. A write replaces the bytes it
/// covers from offset 0 (like writing registers from the first one); a read copies out as many
/// bytes from offset 0 as the buffer holds, up to the bank's size. Thread-safe per bank, so a
/// plant and a driver on different threads never see half a write.
/// </summary>
public sealed class SimulatedDeviceBus : IDeviceProvider
{
    public const string Scheme = "sim";
    public const int RegisterBankBytes = 64;

    private const string SchemeSeparator = "://";

    private readonly Dictionary<string, RegisterBank> banks = new(StringComparer.Ordinal);
    private readonly Lock banksGate = new();

    /// <summary>The schemes this provider opens; named in the error for any other.</summary>
    public static IReadOnlyList<string> KnownSchemes { get; } = [Scheme];

    /// <summary>URIs of the banks opened so far, sorted: for diagnostics.</summary>
    public IReadOnlyList<string> OpenedUris
    {
        get
        {
            lock (banksGate)
            {
                var uris = banks.Keys.ToList();
                uris.Sort(StringComparer.Ordinal);
                return uris;
            }
        }
    }

    public IDeviceChannel Open(string uri, DeviceAccess access)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if ((access & DeviceAccess.ReadWrite) == DeviceAccess.None)
        {
            throw new ArgumentException($"device '{uri}': access must be read, write or both", nameof(access));
        }

        var separator = uri.IndexOf(SchemeSeparator, StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new ArgumentException($"device URI '{uri}' has no scheme; known schemes: {string.Join(", ", KnownSchemes)}", nameof(uri));
        }

        var scheme = uri[..separator];
        if (!string.Equals(scheme, Scheme, StringComparison.Ordinal))
        {
            throw new ArgumentException($"device URI '{uri}' has unknown scheme '{scheme}'; known schemes: {string.Join(", ", KnownSchemes)}", nameof(uri));
        }

        if (uri.Length == separator + SchemeSeparator.Length)
        {
            throw new ArgumentException($"device URI '{uri}' names no device; write e.g. sim://tank/level", nameof(uri));
        }

        return new Channel(uri, BankFor(uri), access);
    }

    /// <summary>
    /// Reads a little-endian f64 from offset 0. A device that returns fewer than eight bytes reads
    /// as NaN, which every consumer here treats as bad input. Allocation-free.
    /// </summary>
    public static double ReadDouble(IDeviceChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Span<byte> buffer = stackalloc byte[sizeof(double)];
        return channel.Read(buffer) < sizeof(double) ? double.NaN : BinaryPrimitives.ReadDoubleLittleEndian(buffer);
    }

    /// <summary>Writes <paramref name="value"/> as a little-endian f64 at offset 0. Allocation-free.</summary>
    public static void WriteDouble(IDeviceChannel channel, double value)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Span<byte> buffer = stackalloc byte[sizeof(double)];
        BinaryPrimitives.WriteDoubleLittleEndian(buffer, value);
        channel.Write(buffer);
    }

    private RegisterBank BankFor(string uri)
    {
        lock (banksGate)
        {
            if (!banks.TryGetValue(uri, out var bank))
            {
                bank = new RegisterBank();
                banks.Add(uri, bank);
            }

            return bank;
        }
    }

    private sealed class RegisterBank
    {
        private readonly byte[] bytes = new byte[RegisterBankBytes];
        private readonly Lock gate = new();

        public int CopyOut(Span<byte> destination)
        {
            var count = Math.Min(destination.Length, RegisterBankBytes);
            lock (gate)
            {
                bytes.AsSpan(0, count).CopyTo(destination);
            }

            return count;
        }

        public void CopyIn(ReadOnlySpan<byte> source)
        {
            lock (gate)
            {
                source.CopyTo(bytes);
            }
        }
    }

    private sealed class Channel(string uri, RegisterBank bank, DeviceAccess access) : IDeviceChannel
    {
        private bool disposed;

        public string Uri { get; } = uri;

        public int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if ((access & DeviceAccess.Read) == 0)
            {
                throw new InvalidOperationException($"device '{Uri}' was opened without read access");
            }

            return bank.CopyOut(buffer);
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if ((access & DeviceAccess.Write) == 0)
            {
                throw new InvalidOperationException($"device '{Uri}' was opened without write access");
            }

            if (data.Length > RegisterBankBytes)
            {
                throw new ArgumentException($"device '{Uri}' holds {RegisterBankBytes} bytes; {data.Length} cannot be written", nameof(data));
            }

            bank.CopyIn(data);
        }

        public void Dispose() => disposed = true;
    }
}
