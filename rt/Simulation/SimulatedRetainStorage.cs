using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Rt.Simulation;

/// <summary>
/// Retain stores of a simulated run, in memory: each store's two slots, by its path. A write
/// replaces its slot at once, on the loop, so a run is deterministic; the stores outlive a
/// service's restarts (a restarted controller finds its setpoint) and end with the platform, so
/// every <c>neokernel sim</c> starts from the manifests' defaults and one seed still gives one run.
/// <para>
/// Fault injection at the seam: <see cref="Slot"/> and <see cref="SetSlot"/> let a test read a
/// slot's bytes and put any bytes there (a truncated or bit-flipped record, garbage), and
/// <see cref="FailWrites"/> makes every write fail as a full disk would.
/// </para>
/// </summary>
public sealed class SimulatedRetainStorage : IRetainStorage
{
    private readonly Dictionary<string, byte[]?[]> stores = new(StringComparer.Ordinal);

    /// <summary>When set, every write fails with this text (and the slot keeps what it held).</summary>
    public string? FailWrites { get; set; }

    /// <summary>The stores that were opened or set, by path.</summary>
    public IEnumerable<string> Paths => stores.Keys;

    public IRetainMedium Open(string serviceId, RetainSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new Medium(this, spec.Path, SlotsOf(spec.Path));
    }

    /// <summary>A copy of slot <paramref name="slot"/> of the store at <paramref name="path"/>; null when it holds nothing.</summary>
    public byte[]? Slot(string path, int slot) => stores.TryGetValue(path, out var slots) ? slots[slot]?.ToArray() : null;

    /// <summary>Puts <paramref name="bytes"/> (null: nothing) in a slot, as a crash or a damaged medium would leave it.</summary>
    public void SetSlot(string path, int slot, byte[]? bytes) => SlotsOf(path)[slot] = bytes?.ToArray();

    private byte[]?[] SlotsOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!stores.TryGetValue(path, out var slots))
        {
            slots = new byte[2][];
            stores[path] = slots;
        }

        return slots;
    }

    private sealed class Medium(SimulatedRetainStorage storage, string path, byte[]?[] slots) : IRetainMedium
    {
        private long written;
        private long failed;
        private string? lastFailure;

        public string Location { get; } = "sim:" + path;

        public RetainMediumStatus Status => new(written, failed, lastFailure);

        public string SlotName(int slot) => RetainRecord.SlotNames[slot];

        public RetainSlotRead Read(int slot, Span<byte> destination)
        {
            var bytes = slots[slot];
            if (bytes is null)
            {
                return new RetainSlotRead(RetainSlotState.Missing, 0);
            }

            if (bytes.Length > destination.Length)
            {
                return new RetainSlotRead(RetainSlotState.TooLarge, 0);
            }

            bytes.CopyTo(destination);
            return new RetainSlotRead(RetainSlotState.Read, bytes.Length);
        }

        public void Write(int slot, ReadOnlySpan<byte> record)
        {
            if (storage.FailWrites is { } failure)
            {
                failed++;
                lastFailure = failure;
                return;
            }

            // A slot keeps its array once it has the size: a store that saves the same layout allocates once.
            var bytes = slots[slot] is { } held && held.Length == record.Length ? held : new byte[record.Length];
            record.CopyTo(bytes);
            slots[slot] = bytes;
            written++;
        }

        public void Dispose()
        {
        }
    }
}
