using System.Diagnostics;
using System.Globalization;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>What a retain store held when its service opened it.</summary>
public enum RetainOutcome
{
    /// <summary>The newest record was good: its payload is restored.</summary>
    Restored,

    /// <summary>The newest record was damaged; the one before it (the other slot) is restored, with a warning.</summary>
    RestoredOlder,

    /// <summary>Nothing was stored yet (a new store): the service starts from its manifest's defaults, with a warning.</summary>
    Empty,

    /// <summary>Something was stored but no record is good: the service starts from its manifest's defaults, with a warning.</summary>
    Corrupt,
}

/// <summary>
/// What a store restored: the outcome, the record's sequence and payload (empty unless
/// <see cref="HasValues"/>), and the warning given when it is not <see cref="RetainOutcome.Restored"/>.
/// </summary>
public sealed record RetainRestore(RetainOutcome Outcome, ulong Sequence, ReadOnlyMemory<byte> Payload, string? Warning)
{
    public bool HasValues => Outcome is RetainOutcome.Restored or RetainOutcome.RestoredOlder;
}

/// <summary>A store's counts: the sequence of its last record, saves handed to it, records written and failed, the last failure.</summary>
public readonly record struct RetainStoreStatus(ulong Sequence, long Saves, long Written, long Failed, string? LastFailure);

/// <summary>
/// A service's retain store, from <see cref="IServiceContext.OpenRetainStore"/>: what was restored
/// at open, and <see cref="Save"/>, which takes a snapshot of the values the service retains.
/// Writes never happen in the caller: a save copies the snapshot and the store writes it from the
/// service's event loop, one record for a burst of saves, through the platform's medium (on
/// Linux a worker thread writes and syncs the file). Save from control-plane code (a command
/// handler); it allocates nothing, but a cyclic body has no reason to retain every cycle.
/// </summary>
public interface IRetainStore
{
    /// <summary>Where the store is: its directory, or <c>sim:</c> and its path.</summary>
    string Location { get; }

    /// <summary>The largest snapshot it takes (the manifest's <c>retain.bytesMax</c>).</summary>
    int BytesMax { get; }

    RetainRestore Restored { get; }

    RetainStoreStatus Status { get; }

    /// <summary>Takes <paramref name="snapshot"/> (copied) to be written soon; a later save before the write replaces it.</summary>
    void Save(ReadOnlySpan<byte> snapshot);

    /// <summary>
    /// The service could not use what was restored (a payload of an older layout, a value its
    /// checks refuse): warns, naming the store and <paramref name="problem"/>, and the service goes
    /// on from its defaults. The record stays until the next save replaces it.
    /// </summary>
    void Discard(string problem);

    /// <summary>
    /// The service restored part of what was stored and could not use the rest (values its
    /// manifest no longer retains): warns, naming the store and <paramref name="problem"/>.
    /// </summary>
    void DiscardPart(string problem);
}

/// <summary>What the retain trace event's arg0 says happened.</summary>
public enum RetainEventCode
{
    Restored = 0,
    RestoredOlder = 1,
    Empty = 2,
    Corrupt = 3,
    Discarded = 4,
    Saved = 5,
    WriteFailed = 6,
}

/// <summary>
/// The kernel's side of a store: it judges both slots at open and restores the good record with
/// the highest sequence; it writes each new record into the slot the newest one is not in, so
/// that a damaged newest record (bit rot, a medium that lost the last rename) still leaves the
/// one before it. Every write is a whole record through the medium, which replaces a slot
/// atomically. Loop thread only, like the kernel.
/// </summary>
internal sealed class RetainStore : IRetainStore, ITimerCallback
{
    private readonly IRetainMedium medium;
    private readonly Capability capability;
    private readonly IClock clock;
    private readonly KernelTrace trace;
    private readonly int subject;
    private readonly int locationName;
    private readonly Action<string> warn;
    private readonly byte[] pending;
    private readonly byte[] record;
    private IPlatformTimer? flushTimer;
    private int pendingLength;
    private bool dirty;
    private int nextSlot;
    private ulong sequence;
    private long saves;
    private long failuresWarned;
    private bool closed;

    private RetainStore(IRetainMedium medium, RetainSpec spec, Capability capability, IClock clock, KernelTrace trace, int subject, Action<string> warn)
    {
        this.medium = medium;
        this.capability = capability;
        this.clock = clock;
        this.trace = trace;
        this.subject = subject;
        this.warn = warn;
        BytesMax = spec.BytesMax;
        Location = medium.Location;
        locationName = trace.Intern(medium.Location);
        pending = new byte[spec.BytesMax];
        record = new byte[spec.BytesMax + RetainRecord.OverheadBytes];
        Restored = null!;
    }

    public string Location { get; }

    public int BytesMax { get; }

    public RetainRestore Restored { get; private set; }

    public RetainStoreStatus Status
    {
        get
        {
            var status = medium.Status;
            return new RetainStoreStatus(sequence, saves, status.Written, status.Failed, status.LastFailure);
        }
    }

    /// <summary>Opens a store on <paramref name="medium"/>: reads and judges both slots, warns unless the newest record was good. Control plane.</summary>
    public static RetainStore Open(IRetainMedium medium, RetainSpec spec, Capability capability, IPlatform platform, KernelTrace trace, int subject, Action<string> warn)
    {
        var store = new RetainStore(medium, spec, capability, platform.Clock, trace, subject, warn);

        // The checksum's table is made on first use: here, on the control plane, not at the first save (a real-time thread's).
        _ = Crc32C.Compute([0]);
        store.Restore();
        store.flushTimer = platform.CreateTimer(store);
        return store;
    }

    public void Save(ReadOnlySpan<byte> snapshot)
    {
        if (closed || !capability.IsValid)
        {
            throw new CapabilityDeniedException(capability.Holder, CapabilityKind.Retain, capability.ObjectName, "the store was closed with the instance that opened it");
        }

        if (snapshot.Length > BytesMax)
        {
            throw new ArgumentException($"a snapshot of {snapshot.Length} bytes does not fit the retain store {Location}, which takes at most {BytesMax} (retain.bytesMax in the manifest)", nameof(snapshot));
        }

        snapshot.CopyTo(pending);
        pendingLength = snapshot.Length;
        dirty = true;
        saves++;
        if (!flushTimer!.IsArmed)
        {
            // Due now: it runs after the callback that saved, so every save of that callback is one record.
            flushTimer.ArmAt(clock.NowNs);
        }
    }

    public void Discard(string problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(problem);
        var what = Restored.HasValues ? $"record {Restored.Sequence.ToString(CultureInfo.InvariantCulture)}" : "its record";
        Warn(RetainEventCode.Discarded, Restored.Sequence, $"retain store {Location}: the service could not use {what}: {problem}; it starts from its manifest's defaults");
    }

    public void DiscardPart(string problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(problem);
        Warn(RetainEventCode.Discarded, Restored.Sequence, $"retain store {Location}: the service restored record {Restored.Sequence.ToString(CultureInfo.InvariantCulture)} but not all of it: {problem}");
    }

    void ITimerCallback.OnTimer(long nowNs) => Flush();

    /// <summary>Writes what is pending (the instance stops: its last save is not lost) and releases the medium. Safe to call twice.</summary>
    public void Close()
    {
        if (closed)
        {
            return;
        }

        Flush();
        closed = true;
        flushTimer?.Cancel();
        medium.Dispose();
    }

    private void Flush()
    {
        WarnAboutFailedWrites();
        if (!dirty || closed)
        {
            return;
        }

        dirty = false;
        sequence++;
        var length = RetainRecord.Encode(sequence, pending.AsSpan(0, pendingLength), record);
        medium.Write(nextSlot, record.AsSpan(0, length));
        nextSlot ^= 1;
        trace.Record(TraceEventKind.Retain, subject, locationName, (long)RetainEventCode.Saved, (long)sequence);
    }

    /// <summary>A medium writes later (another thread on Linux); a failure it met is told here, once each, on the loop.</summary>
    private void WarnAboutFailedWrites()
    {
        var status = medium.Status;
        if (status.Failed <= failuresWarned)
        {
            return;
        }

        var failed = status.Failed - failuresWarned;
        failuresWarned = status.Failed;
        Warn(RetainEventCode.WriteFailed, sequence, $"retain store {Location}: {failed.ToString(CultureInfo.InvariantCulture)} write(s) failed, the last with: {status.LastFailure}; the values stay as last written");
    }

    /// <summary>Both slots judged; the good record with the highest sequence wins.</summary>
    private void Restore()
    {
        var slots = new (bool Good, ulong Sequence, byte[] Payload, string? Problem, bool Missing)[2];
        for (var slot = 0; slot < 2; slot++)
        {
            slots[slot] = Judge(slot);
        }

        var best = -1;
        for (var slot = 0; slot < 2; slot++)
        {
            if (slots[slot].Good && (best < 0 || slots[slot].Sequence > slots[best].Sequence))
            {
                best = slot;
            }
        }

        var damaged = Enumerable.Range(0, 2).Where(s => slots[s].Problem is not null).Select(s => $"{medium.SlotName(s)}: {slots[s].Problem}").ToList();
        if (best < 0)
        {
            var empty = damaged.Count == 0;
            var warning = empty
                ? $"retain store {Location} holds no record yet (a new store): the service starts from its manifest's defaults"
                : $"retain store {Location} holds no good record ({string.Join("; ", damaged)}): the service starts from its manifest's defaults";
            Restored = new RetainRestore(empty ? RetainOutcome.Empty : RetainOutcome.Corrupt, 0, ReadOnlyMemory<byte>.Empty, warning);
            Warn(empty ? RetainEventCode.Empty : RetainEventCode.Corrupt, 0, warning);
            return;
        }

        // A bad slot newer than the good one, or one that cannot be told, means the newest values may be lost.
        sequence = slots[best].Sequence;
        nextSlot = best ^ 1;
        var other = slots[best ^ 1];
        var outcome = other.Problem is null ? RetainOutcome.Restored : RetainOutcome.RestoredOlder;
        var text = outcome == RetainOutcome.Restored
            ? null
            : $"retain store {Location}: {string.Join("; ", damaged)}; restored record {sequence.ToString(CultureInfo.InvariantCulture)} from {medium.SlotName(best)}, which may be older than the values last saved";
        Restored = new RetainRestore(outcome, sequence, slots[best].Payload, text);
        if (text is null)
        {
            trace.Record(TraceEventKind.Retain, subject, locationName, (long)RetainEventCode.Restored, (long)sequence);
        }
        else
        {
            Warn(RetainEventCode.RestoredOlder, sequence, text);
        }

        Debug.Assert(Restored.Payload.Length <= BytesMax, "a restored payload fits the store");
    }

    private (bool Good, ulong Sequence, byte[] Payload, string? Problem, bool Missing) Judge(int slot)
    {
        var read = medium.Read(slot, record);
        switch (read.State)
        {
            case RetainSlotState.Missing:
                return (false, 0, [], null, true);
            case RetainSlotState.TooLarge:
                return (false, 0, [], $"holds more than the {record.Length.ToString(CultureInfo.InvariantCulture)} bytes of a record of bytesMax {BytesMax.ToString(CultureInfo.InvariantCulture)}", false);
            case RetainSlotState.Unreadable:
                return (false, 0, [], $"cannot be read: {read.Problem}", false);
        }

        var bytes = record.AsSpan(0, read.Length);
        return RetainRecord.TryDecode(bytes, BytesMax, out var recordSequence, out var payload, out var problem)
            ? (true, recordSequence, bytes[payload].ToArray(), null, false)
            : (false, 0, [], problem, false);
    }

    private void Warn(RetainEventCode code, ulong atSequence, string text)
    {
        trace.Record(TraceEventKind.Retain, subject, locationName, (long)code, (long)atSequence);
        warn(text);
    }
}
