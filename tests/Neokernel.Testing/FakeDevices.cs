using System.Buffers.Binary;
using Neokernel.Kernel.Platform;

namespace Neokernel.Testing;

/// <summary>
/// Devices as plain byte banks in the test's memory, any URI: a read copies from offset 0 as many
/// bytes as the buffer holds (up to <see cref="BankBytes"/>), a write replaces the bytes it covers
/// from offset 0. The test sets what a driver reads and looks at what it wrote, and sees every
/// open with its access. One thread only; for banks shared between threads or processes use the
/// simulated device bus (<c>sim://</c>).
/// </summary>
public sealed class FakeDevices : IDeviceProvider
{
    public const int BankBytes = 64;

    private readonly Dictionary<string, byte[]> banks = new(StringComparer.Ordinal);

    /// <summary>Every open so far, in order.</summary>
    public List<(string Uri, DeviceAccess Access)> Opened { get; } = [];

    public IDeviceChannel Open(string uri, DeviceAccess access)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Opened.Add((uri, access));
        return new Channel(uri, Bank(uri), access);
    }

    /// <summary>The bytes behind <paramref name="uri"/>, zero until written.</summary>
    public Span<byte> Bytes(string uri) => Bank(uri);

    /// <summary>Sets the little-endian f64 at offset 0 that a reader of <paramref name="uri"/> sees.</summary>
    public void SetDouble(string uri, double value) => BinaryPrimitives.WriteDoubleLittleEndian(Bank(uri), value);

    /// <summary>The little-endian f64 at offset 0, as a writer of <paramref name="uri"/> left it.</summary>
    public double GetDouble(string uri) => BinaryPrimitives.ReadDoubleLittleEndian(Bank(uri));

    private byte[] Bank(string uri)
    {
        if (!banks.TryGetValue(uri, out var bank))
        {
            bank = new byte[BankBytes];
            banks.Add(uri, bank);
        }

        return bank;
    }

    private sealed class Channel(string uri, byte[] bank, DeviceAccess access) : IDeviceChannel
    {
        private bool disposed;

        public string Uri { get; } = uri;

        public int Read(Span<byte> buffer)
        {
            Check(DeviceAccess.Read);
            var count = Math.Min(buffer.Length, bank.Length);
            bank.AsSpan(0, count).CopyTo(buffer);
            return count;
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            Check(DeviceAccess.Write);
            if (data.Length > bank.Length)
            {
                throw new ArgumentException($"device '{Uri}' holds {bank.Length} bytes; {data.Length} cannot be written", nameof(data));
            }

            data.CopyTo(bank);
        }

        public void Dispose() => disposed = true;

        private void Check(DeviceAccess wanted)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if ((access & wanted) == 0)
            {
                throw new InvalidOperationException($"device '{Uri}' was opened without {wanted.ToString().ToLowerInvariant()} access");
            }
        }
    }
}
