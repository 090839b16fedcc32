using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Buffers.Binary;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

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
public sealed class SimulatedDeviceBus : IDeviceProvider, IShareableDevices
{
    public const string Scheme = "sim";
    public const int RegisterBankBytes = 64;

    /// <summary>A bank's memory: a sequence word, then the registers.</summary>
    public const int BankMemoryBytes = sizeof(long) + RegisterBankBytes;

    private const string SchemeSeparator = "://";

    private readonly Dictionary<string, RegisterBank> banks = new(StringComparer.Ordinal);
    private readonly Lock banksGate = new();
    private readonly IRegionMemoryProvider? memory;

    /// <summary>Banks in managed memory: every opener in this process.</summary>
    public SimulatedDeviceBus()
    {
    }

    /// <summary>Banks in memory from <paramref name="memory"/>: shared mappings let drivers in other processes open them.</summary>
    public SimulatedDeviceBus(IRegionMemoryProvider memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        this.memory = memory;
    }

    /// <summary>A bus over banks another process created and handed over, by URI.</summary>
    public static SimulatedDeviceBus Attached(IReadOnlyDictionary<string, RegionMemory> banksByUri)
    {
        ArgumentNullException.ThrowIfNull(banksByUri);
        var bus = new SimulatedDeviceBus();
        foreach (var (uri, bank) in banksByUri)
        {
            bus.banks.Add(uri, new RegisterBank(bank));
        }

        return bus;
    }

    public RegionMemory? SharedMemoryOf(string uri) => memory is null ? null : BankFor(uri).Memory;

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
                bank = new RegisterBank(memory?.Allocate($"device-{uri.Replace('/', '-')}", BankMemoryBytes) ?? new ManagedBank());
                banks.Add(uri, bank);
            }

            return bank;
        }
    }

    /// <summary>
    /// Registers behind a <see cref="SeqLock"/>, like a region: its sequence word first, then the
    /// registers. Works between processes when the memory is a shared mapping.
    /// </summary>
    private sealed class RegisterBank(RegionMemory memory)
    {
        private const int SequenceBytes = sizeof(long);

        public RegionMemory Memory { get; } = memory;

        private ref long Sequence => ref Unsafe.As<byte, long>(ref MemoryMarshal.GetReference(Memory.Bytes));

        /// <summary>Copies up to the bank's size from offset 0; 0 when every attempt saw a write.</summary>
        public int CopyOut(Span<byte> destination)
        {
            var count = Math.Min(destination.Length, RegisterBankBytes);
            return SeqLock.TryRead(ref Sequence, Memory.Bytes.Slice(SequenceBytes, count), destination, out _) ? count : 0;
        }

        public void CopyIn(ReadOnlySpan<byte> source) => SeqLock.Write(ref Sequence, source, Memory.Bytes[SequenceBytes..]);
    }

    private sealed class ManagedBank : RegionMemory
    {
        private readonly byte[] bytes = new byte[BankMemoryBytes];

        public override int Length => bytes.Length;

        public override Span<byte> Bytes => bytes;
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
