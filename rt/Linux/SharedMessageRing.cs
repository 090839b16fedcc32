using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Ipc;

namespace Neokernel.Rt.Linux;

/// <summary>
/// A bounded single-producer/single-consumer ring of fixed-size message slots in a memfd shared
/// between two processes: the cross-process form of <see cref="BoundedMessageQueue"/>, with the
/// same contract. A message is accepted whole or refused (<see cref="EnqueueResult.Full"/>,
/// <see cref="EnqueueResult.TooLarge"/>); an accepted message is delivered exactly once, in order,
/// with its kind, sender and correlation. One process sends, one receives; request/reply is two
/// rings (see <see cref="SharedEndpointRings"/>).
/// </summary>
/// <remarks>
/// Lock-free: the producer owns <c>tail</c>, the consumer owns <c>head</c>, both 64-bit counters
/// that only grow; a slot is written before <c>tail</c> is released (Volatile.Write) and read
/// after it is acquired (Volatile.Read), and the same for <c>head</c> the other way. A consumer
/// with nothing to do sleeps in FUTEX_WAIT on the low 32 bits of <c>tail</c> after raising a
/// waiter flag; the producer issues FUTEX_WAKE only when it sees that flag, so a busy consumer
/// costs the producer no system call. Flag-then-check on one side and publish-then-check on the
/// other, each with a full fence between, is Dekker's pattern: at least one side sees the other,
/// and the futex compares the word atomically with going to sleep, so no wake-up is lost.
/// <para>
/// A consumer on an event loop sleeps in epoll, not in FUTEX_WAIT: the ring's doorbell (an
/// eventfd handed over with the memfd) is in its loop's reactor (<see cref="WatchArrivals"/>).
/// When its TryPeek finds the ring empty it raises the flag to "asleep on the doorbell"; the
/// producer that sees that flag takes it down (compare-and-swap, so only one producer rings) and
/// rings once. So a consumer that keeps up costs the producer no system call, and one that sleeps
/// costs one per wake-up, not one per message. Same Dekker pattern, same guarantee.
/// </para>
/// The peer can write this memory, so every counter and length read from it is range-checked:
/// a corrupted ring throws <see cref="InvalidDataException"/> instead of reading out of bounds.
/// Sending and receiving allocate nothing.
/// </remarks>
public sealed unsafe class SharedMessageRing : IMessageQueue, IDisposable
{
    public const int CapacityMax = BoundedMessageQueue.CapacityMax;
    public const int MessageBytesMax = BoundedMessageQueue.MessageBytesMax;

    /// <summary>
    /// How often an endpoint in the consuming process looks at a ring without a doorbell (or whose
    /// consumer has no loop to register it in): at most this much delay for a cross-process
    /// message, for one word read per period. A ring with a doorbell in the consumer's loop is not
    /// polled.
    /// </summary>
    public const long PollIntervalNsDefault = 1_000_000;

    private const int Awake = 0;
    private const int AsleepOnFutex = 1;
    private const int AsleepOnDoorbell = 2;

    private const uint Magic = 0x3152_4B4E; // "NKR1"
    private const int CacheLineBytes = 64;
    private const int ShapeOffset = 0;
    private const int TailOffset = CacheLineBytes;
    private const int HeadOffset = 2 * CacheLineBytes;
    private const int WaitingOffset = 3 * CacheLineBytes;
    private const int SlotsOffset = 4 * CacheLineBytes;
    private const int SlotHeaderBytes = 24;

    private readonly SharedMapping mapping;
    private readonly byte* slots;
    private readonly int slotStrideBytes;

    private readonly Doorbell? doorbell;
    private FdRegistration? doorbellWatch;
    private IArrivalListener? arrivals;

    private SharedMessageRing(SharedMapping mapping, string name, int capacity, int maxMessageBytes, Doorbell? doorbell)
    {
        this.mapping = mapping;
        this.doorbell = doorbell;
        Name = name;
        Capacity = capacity;
        MaxMessageBytes = maxMessageBytes;
        slotStrideBytes = SlotStrideFor(maxMessageBytes);
        slots = mapping.Pointer + SlotsOffset;
    }

    public string Name { get; }

    public int Capacity { get; }

    public int MaxMessageBytes { get; }

    /// <summary>The memfd, owned by this object: pass it to the peer process with <see cref="FdPassing"/>.</summary>
    public SafeFileHandle FileDescriptor => mapping.FileDescriptor;

    /// <summary>The doorbell's eventfd (null: none), owned by this object: pass it along with the memfd.</summary>
    public SafeFileHandle? DoorbellDescriptor => doorbell?.FileDescriptor;

    /// <summary>
    /// The event loop of this process's consumer, where <see cref="WatchArrivals"/> registers the
    /// doorbell; null: the consumer here polls. Set once the loop exists, before the kernel boots.
    /// </summary>
    public LoopReactor? ArrivalLoop { get; set; }

    /// <summary>The other side is in another process: its consumer polls (see <see cref="PollIntervalNsDefault"/>).</summary>
    public long PollIntervalNs => PollIntervalNsDefault;

    /// <summary>Messages in the ring now: a moment's view when the other side is active.</summary>
    public int Count => (int)(Volatile.Read(ref TailRef) - Volatile.Read(ref HeadRef));

    /// <summary>Messages this side was refused because the ring was full, since construction.</summary>
    public long RejectedFull { get; private set; }

    /// <summary>FUTEX_WAKE calls and doorbell rings this side made: far fewer than messages while the consumer keeps up.</summary>
    public long WakeCalls { get; private set; }

    /// <summary>FUTEX_WAIT calls this side made.</summary>
    public long WaitCalls { get; private set; }

    private ref long TailRef => ref Unsafe.AsRef<long>(mapping.Pointer + TailOffset);

    private ref long HeadRef => ref Unsafe.AsRef<long>(mapping.Pointer + HeadOffset);

    /// <summary>The futex word: the low half of <c>tail</c> (little-endian), which changes with every message.</summary>
    private ref int TailLowRef => ref Unsafe.AsRef<int>(mapping.Pointer + TailOffset);

    private ref int ConsumerWaitingRef => ref Unsafe.AsRef<int>(mapping.Pointer + WaitingOffset);

    /// <summary>Bytes of shared memory a ring of this shape needs: the size a grant announces and the receiver checks.</summary>
    public static int BytesFor(int capacity, int maxMessageBytes)
    {
        CheckShape(capacity, maxMessageBytes);
        return SlotsOffset + (capacity * SlotStrideFor(maxMessageBytes));
    }

    /// <summary>Creates an empty ring in a new sealed memfd, mapped read-write, with its doorbell.</summary>
    public static SharedMessageRing Create(string name, int capacity, int maxMessageBytes)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the ring's futex word is the low half of a 64-bit counter, which needs a little-endian CPU (x86_64, arm64)");
        }

        var mapping = SharedMapping.Create(name, BytesFor(capacity, maxMessageBytes), sealSize: true);
        var shape = (int*)(mapping.Pointer + ShapeOffset);
        shape[1] = 1;
        shape[2] = capacity;
        shape[3] = maxMessageBytes;
        shape[4] = SlotStrideFor(maxMessageBytes);
        Volatile.Write(ref Unsafe.AsRef<uint>(shape), Magic);
        return new SharedMessageRing(mapping, name, capacity, maxMessageBytes, Doorbell.Create());
    }

    /// <summary>
    /// Maps a ring whose fd another process passed, taking ownership of the fd. The shape comes
    /// from the grant, not from the memory: size (fstat) and the ring's own header must both
    /// agree with it, or the fd is refused. The doorbell's eventfd, if given, is owned from now on
    /// too; without one the consumer here polls.
    /// </summary>
    public static SharedMessageRing Attach(string name, SafeFileHandle fd, int capacity, int maxMessageBytes, SafeFileHandle? doorbellFd = null)
    {
        var mapping = SharedMapping.Attach(fd, BytesFor(capacity, maxMessageBytes), writable: true, requireSizeSealed: true);
        var shape = (int*)(mapping.Pointer + ShapeOffset);
        if ((uint)shape[0] != Magic || shape[1] != 1 || shape[2] != capacity || shape[3] != maxMessageBytes || shape[4] != SlotStrideFor(maxMessageBytes))
        {
            mapping.Dispose();
            throw new InvalidDataException($"ring '{name}': the shared memory's header (magic 0x{(uint)shape[0]:x8}, capacity {shape[2]}, max message {shape[3]} bytes) does not match the grant (capacity {capacity}, max message {maxMessageBytes} bytes): wrong fd, or not a ring");
        }

        return new SharedMessageRing(mapping, name, capacity, maxMessageBytes, doorbellFd is null ? null : Doorbell.Attach(doorbellFd));
    }

    /// <summary>
    /// Consumer side, on the loop thread of <see cref="ArrivalLoop"/>: from now on a message that
    /// arrives after TryPeek found the ring empty rings the doorbell, and <paramref name="listener"/>
    /// runs on that loop. False without a doorbell or a loop: poll. A later call replaces the
    /// listener (the consumer's next incarnation). Control plane.
    /// </summary>
    public bool WatchArrivals(IArrivalListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (doorbell is null || ArrivalLoop is not { } loop)
        {
            return false;
        }

        arrivals = listener;
        doorbellWatch ??= loop.Register((int)doorbell.FileDescriptor.DangerousGetHandle(), FdEvents.Readable, new DoorbellCallback(this));
        SleepOnDoorbell();
        return true;
    }

    /// <summary>Producer side: copies the message into the next slot and publishes it, or refuses it whole.</summary>
    /// <summary>The kernel's name for <see cref="TrySend"/>: a ring is an endpoint's queue between processes.</summary>
    public EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header) => TrySend(message, header);

    public EnqueueResult TrySend(ReadOnlySpan<byte> message, MessageHeader header)
    {
        if (message.Length > MaxMessageBytes)
        {
            return EnqueueResult.TooLarge;
        }

        var tail = TailRef;
        var used = tail - Volatile.Read(ref HeadRef);
        CheckOccupancy(used);
        if (used == Capacity)
        {
            RejectedFull++;
            return EnqueueResult.Full;
        }

        var slot = Slot(tail);
        *(int*)slot = message.Length;
        *(int*)(slot + 4) = header.Sender;
        *(long*)(slot + 8) = header.Correlation;
        slot[16] = (byte)header.Kind;
        message.CopyTo(new Span<byte>(slot + SlotHeaderBytes, MaxMessageBytes));
        Volatile.Write(ref TailRef, tail + 1);
        WakeConsumerIfSleeping();
        return EnqueueResult.Accepted;
    }

    /// <summary>Consumer side: the oldest message without removing it; the span is valid until <see cref="Advance"/>.</summary>
    public bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message)
    {
        var head = HeadRef;
        var available = Volatile.Read(ref TailRef) - head;
        CheckOccupancy(available);
        if (available == 0 && arrivals is not null && SleepOnDoorbell())
        {
            available = Volatile.Read(ref TailRef) - head;
            CheckOccupancy(available);
        }

        if (available == 0)
        {
            header = default;
            message = default;
            return false;
        }

        var slot = Slot(head);
        var length = *(int*)slot;
        if ((uint)length > (uint)MaxMessageBytes)
        {
            throw new InvalidDataException($"ring '{Name}': slot {head % Capacity} claims {length} bytes, the ring's maximum is {MaxMessageBytes}: the producer corrupted the ring");
        }

        header = new MessageHeader((MessageKind)slot[16], *(int*)(slot + 4), *(long*)(slot + 8));
        message = new ReadOnlySpan<byte>(slot + SlotHeaderBytes, length);
        return true;
    }

    /// <summary>Consumer side: releases the oldest message's slot to the producer.</summary>
    public void Advance()
    {
        var head = HeadRef;
        if (Volatile.Read(ref TailRef) == head)
        {
            throw new InvalidOperationException($"ring '{Name}' is empty");
        }

        Volatile.Write(ref HeadRef, head + 1);
    }

    /// <summary>Consumer side: copies out and removes the oldest message; false when empty.</summary>
    public bool TryReceive(Span<byte> destination, out MessageHeader header, out int length)
    {
        return this.TryDequeueInto(destination, out header, out length);
    }

    /// <summary>
    /// Consumer side: returns true as soon as a message is available, false after
    /// <paramref name="timeoutNs"/> without one. Polls for up to <paramref name="spinNs"/> before
    /// sleeping in FUTEX_WAIT (0: sleep at once). Spinning saves the wake-up (a system call on
    /// each side and, across CPUs, an inter-processor interrupt) but burns the core meanwhile:
    /// worth it only when each process has a core of its own.
    /// </summary>
    public bool WaitForMessage(long timeoutNs, long spinNs = 0)
    {
        if (HasMessage())
        {
            return true;
        }

        var startNs = LinuxTime.MonotonicNs();
        while (spinNs > 0 && LinuxTime.MonotonicNs() - startNs < spinNs)
        {
            Thread.SpinWait(1);
            if (HasMessage())
            {
                return true;
            }
        }

        var deadlineNs = startNs + timeoutNs;
        while (true)
        {
            Interlocked.Exchange(ref ConsumerWaitingRef, AsleepOnFutex);
            var observed = Volatile.Read(ref TailLowRef);
            if (HasMessage())
            {
                Volatile.Write(ref ConsumerWaitingRef, Awake);
                return true;
            }

            var remainingNs = deadlineNs - LinuxTime.MonotonicNs();
            if (remainingNs <= 0)
            {
                Volatile.Write(ref ConsumerWaitingRef, Awake);
                return false;
            }

            WaitCalls++;
            Futex.Wait(ref TailLowRef, observed, remainingNs);
            Volatile.Write(ref ConsumerWaitingRef, Awake);
        }
    }

    public void Dispose()
    {
        doorbellWatch?.Dispose();
        doorbell?.Dispose();
        mapping.Dispose();
    }

    private static int SlotStrideFor(int maxMessageBytes) => SlotHeaderBytes + ((maxMessageBytes + 7) & ~7);

    private static void CheckShape(int capacity, int maxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, CapacityMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessageBytes, MessageBytesMax);
    }

    private bool HasMessage() => Volatile.Read(ref TailRef) != HeadRef;

    private byte* Slot(long counter) => slots + ((int)(counter % Capacity) * slotStrideBytes);

    /// <summary>
    /// The consumer may be asleep: the fence orders our tail store before the flag load (store-load,
    /// which acquire/release alone do not). A futex sleeper is woken; a doorbell sleeper's flag is
    /// taken down by exactly one producer, which rings.
    /// </summary>
    private void WakeConsumerIfSleeping()
    {
        Interlocked.MemoryBarrier();
        switch (Volatile.Read(ref ConsumerWaitingRef))
        {
            case Awake:
                return;
            case AsleepOnFutex:
                WakeCalls++;
                Futex.Wake(ref TailLowRef, 1);
                return;
            default:
                // AsleepOnDoorbell, or a value a corrupting peer wrote: either way, ring once.
                if (Interlocked.Exchange(ref ConsumerWaitingRef, Awake) != Awake && doorbell is not null)
                {
                    WakeCalls++;
                    doorbell.Ring();
                }

                return;
        }
    }

    /// <summary>Consumer: raises the doorbell flag (a full fence, the consumer's half of Dekker's pattern). True when it was not raised yet: look at the tail again.</summary>
    private bool SleepOnDoorbell() => Interlocked.Exchange(ref ConsumerWaitingRef, AsleepOnDoorbell) != AsleepOnDoorbell;

    /// <summary>The doorbell rang: reset it, then let the consumer look (on its loop, where this runs).</summary>
    private void OnDoorbell()
    {
        doorbell!.Drain();
        arrivals?.OnArrival();
    }

    private sealed class DoorbellCallback(SharedMessageRing ring) : IFdReadyCallback
    {
        public void OnFdReady(FdEvents events) => ring.OnDoorbell();
    }

    private void CheckOccupancy(long used)
    {
        if (used < 0 || used > Capacity)
        {
            throw new InvalidDataException($"ring '{Name}': head and tail are {used} messages apart, outside 0..{Capacity}: the peer corrupted the ring");
        }
    }
}

/// <summary>
/// An endpoint between two processes: a request ring (client to server) and a reply ring (server
/// to client), each single-producer/single-consumer. Correlations are the client's to choose,
/// as with the in-process <see cref="EndpointClient"/>.
/// </summary>
public sealed class SharedEndpointRings : IDisposable
{
    private long nextCorrelation = 1;

    private SharedEndpointRings(SharedMessageRing requests, SharedMessageRing replies)
    {
        Requests = requests;
        Replies = replies;
    }

    public SharedMessageRing Requests { get; }

    public SharedMessageRing Replies { get; }

    public static SharedEndpointRings Create(string name, int capacity, int maxMessageBytes) => new(
        SharedMessageRing.Create($"{name}.requests", capacity, maxMessageBytes),
        SharedMessageRing.Create($"{name}.replies", capacity, maxMessageBytes));

    /// <summary>Maps both rings of an endpoint grant (fds in the order requests, replies), taking ownership of the fds.</summary>
    public static SharedEndpointRings Attach(CapabilityGrant grant, SafeFileHandle requestsFd, SafeFileHandle repliesFd)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var requests = SharedMessageRing.Attach($"{grant.Name}.requests", requestsFd, grant.Capacity, grant.MaxMessageBytes);
        try
        {
            return new(requests, SharedMessageRing.Attach($"{grant.Name}.replies", repliesFd, grant.Capacity, grant.MaxMessageBytes));
        }
        catch
        {
            requests.Dispose();
            throw;
        }
    }

    /// <summary>Client: sends a request; on acceptance <paramref name="correlation"/> identifies its reply.</summary>
    public EnqueueResult Call(ReadOnlySpan<byte> request, int sender, out long correlation)
    {
        var candidate = nextCorrelation;
        var result = Requests.TrySend(request, new MessageHeader(MessageKind.Request, sender, candidate));
        correlation = result == EnqueueResult.Accepted ? nextCorrelation++ : 0;
        return result;
    }

    /// <summary>Server: answers <paramref name="request"/> with the same correlation.</summary>
    public EnqueueResult Reply(in MessageHeader request, ReadOnlySpan<byte> reply, int sender) =>
        Replies.TrySend(reply, new MessageHeader(MessageKind.Reply, sender, request.Correlation));

    public void Dispose()
    {
        Requests.Dispose();
        Replies.Dispose();
    }
}
