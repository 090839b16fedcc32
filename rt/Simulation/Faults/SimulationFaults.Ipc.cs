using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Faults;

namespace Neokernel.Rt.Simulation.Faults;

/// <summary>
/// The IPC faults: the platform's message-queue provider wraps the queues of targeted endpoints
/// (the request queue, each client's reply queue, as the target's direction says), and what a
/// sender puts in one is lost, doubled, changed or held back there. Services and the kernel's
/// endpoints are not changed: a sender is told its lost message was accepted, a receiver finds a
/// delayed one when it is due, woken as by a message from another process.
/// </summary>
public sealed partial class SimulationFaults
{
    private readonly HashSet<string> endpointTargets = new(StringComparer.Ordinal);

    /// <summary>The queue provider endpoints are made with: queues of targeted endpoints carry their faults.</summary>
    public IMessageQueueProvider Wrap(IMessageQueueProvider inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return endpointTargets.Count == 0 ? inner : new FaultingQueues(inner, this);
    }

    /// <summary>A queue of <paramref name="endpoint"/>'s requests or replies, with the faults that target it; <paramref name="queue"/> itself when none does.</summary>
    private IMessageQueue Wrap(IMessageQueue queue, string endpoint, bool replies)
    {
        var lists = new List<List<int>>();
        var delayed = false;
        foreach (var target in endpointTargets)
        {
            var parts = FaultTarget.Of(target);
            if (string.Equals(parts.Name, endpoint, StringComparison.Ordinal) && parts.Covers(replies))
            {
                lists.Add(activeByTarget[target]);
                delayed |= injections.Any(i => i.Kind == FaultKind.IpcDelay && string.Equals(i.Target, target, StringComparison.Ordinal));
            }
        }

        if (lists.Count == 0)
        {
            return queue;
        }

        if (queue.PollIntervalNs > 0)
        {
            throw new InvalidOperationException($"IPC faults on '{endpoint}' act on queues of one process, and its {(replies ? "replies" : "requests")} come from another; run the system without isolated services to fault its endpoints");
        }

        return new FaultingQueue(queue, this, [.. lists], delayed);
    }

    /// <summary>What the IPC faults in effect do to the message sent now: each draw in schedule order, from the faults' stream.</summary>
    private IpcEffect EffectOn(List<int>[] lists)
    {
        var effect = default(IpcEffect);
        foreach (var active in lists)
        {
            foreach (var index in active)
            {
                var injection = injections[index];
                switch (injection.Kind)
                {
                    case FaultKind.IpcDrop:
                        effect.Drop |= Chance(injection);
                        break;
                    case FaultKind.IpcDuplicate:
                        effect.Duplicate |= Chance(injection);
                        break;
                    case FaultKind.IpcDelay:
                        effect.DelayNs += (long)(injection.Value * 1_000_000);
                        break;
                    case FaultKind.IpcCorrupt:
                        effect.CorruptBytes += injection.HasValue ? (int)injection.Value : 1;
                        break;
                }
            }
        }

        return effect;
    }

    /// <summary>True with the injection's chance (1 when it gives none, and then no draw).</summary>
    private bool Chance(FaultInjection injection) => !injection.HasValue || injection.Value >= 1 || random.NextDouble() < injection.Value;

    /// <summary>Changes <paramref name="count"/> bytes of <paramref name="message"/>, each at a position and by a non-zero pattern drawn from the faults' stream.</summary>
    private void Corrupt(Span<byte> message, int count)
    {
        if (message.Length == 0)
        {
            return;
        }

        for (var i = 0; i < count; i++)
        {
            message[(int)random.NextInt64(message.Length)] ^= (byte)(1 + random.NextInt64(255));
        }
    }

    private struct IpcEffect
    {
        public bool Drop;
        public bool Duplicate;
        public long DelayNs;
        public int CorruptBytes;
    }

    private sealed class FaultingQueues(IMessageQueueProvider inner, SimulationFaults faults) : IMessageQueueProvider
    {
        public IMessageQueue CreateRequests(EndpointQueueSpec endpoint)
        {
            ArgumentNullException.ThrowIfNull(endpoint);
            return faults.Wrap(inner.CreateRequests(endpoint), endpoint.Name, replies: false);
        }

        public IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId)
        {
            ArgumentNullException.ThrowIfNull(endpoint);
            return faults.Wrap(inner.CreateReplies(endpoint, clientId), endpoint.Name, replies: true);
        }
    }

    /// <summary>
    /// A queue with the IPC faults of its endpoint. It keeps, beside each message in the queue under
    /// it, when the message is due: a message not yet due (and all behind it, so order holds) is
    /// not there for its receiver, and the queue tells of it when it is. A queue that may delay
    /// asks its receiver to be told of arrivals, as a queue another process fills does.
    /// </summary>
    private sealed class FaultingQueue : IMessageQueue, ITimerCallback
    {
        private readonly IMessageQueue inner;
        private readonly SimulationFaults faults;
        private readonly List<int>[] active;
        private readonly long[] dueNs;
        private readonly byte[] corrupted;
        private readonly IPlatformTimer? due;
        private IArrivalListener? listener;
        private int head;
        private int count;

        public FaultingQueue(IMessageQueue inner, SimulationFaults faults, List<int>[] active, bool delays)
        {
            this.inner = inner;
            this.faults = faults;
            this.active = active;
            dueNs = new long[inner.Capacity];
            corrupted = new byte[inner.MaxMessageBytes];
            due = delays ? faults.platform!.CreateTimer(this) : null;
        }

        public int Capacity => inner.Capacity;

        public int MaxMessageBytes => inner.MaxMessageBytes;

        public int Count => inner.Count;

        /// <summary>
        /// A queue that may delay has arrivals its receiver cannot see coming: it tells of them
        /// (<see cref="WatchArrivals"/>), so this interval is never polled; it is only what makes
        /// the receiver ask.
        /// </summary>
        public long PollIntervalNs => due is null ? 0 : 1_000_000;

        public bool WatchArrivals(IArrivalListener listener)
        {
            if (due is null)
            {
                return false;
            }

            this.listener = listener;
            return true;
        }

        public EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header)
        {
            if (!AnyActive(active))
            {
                return Put(message, header, 0);
            }

            var effect = faults.EffectOn(active);
            if (effect.Drop)
            {
                return message.Length > MaxMessageBytes ? EnqueueResult.TooLarge : EnqueueResult.Accepted;
            }

            if (effect.CorruptBytes > 0 && message.Length <= MaxMessageBytes)
            {
                message.CopyTo(corrupted);
                faults.Corrupt(corrupted.AsSpan(0, message.Length), effect.CorruptBytes);
                message = corrupted.AsSpan(0, message.Length);
            }

            var dueAtNs = effect.DelayNs > 0 ? faults.platform!.Clock.NowNs + effect.DelayNs : 0;
            var result = Put(message, header, dueAtNs);
            if (result == EnqueueResult.Accepted && effect.Duplicate)
            {
                Put(message, header, dueAtNs);
            }

            return result;
        }

        public bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message)
        {
            if (!inner.TryPeek(out header, out message))
            {
                return false;
            }

            var headDueNs = dueNs[head];
            if (headDueNs == 0 || headDueNs <= faults.platform!.Clock.NowNs)
            {
                return true;
            }

            if (!due!.IsArmed)
            {
                due.ArmAt(headDueNs);
            }

            header = default;
            message = default;
            return false;
        }

        public void Advance()
        {
            inner.Advance();
            head = (head + 1) % dueNs.Length;
            count--;
            System.Diagnostics.Debug.Assert(count >= 0 && count == inner.Count, "the due times follow the messages under them");
        }

        void ITimerCallback.OnTimer(long nowNs) => listener?.OnArrival();

        private EnqueueResult Put(ReadOnlySpan<byte> message, MessageHeader header, long dueAtNs)
        {
            var result = inner.TryEnqueue(message, header);
            if (result == EnqueueResult.Accepted)
            {
                dueNs[(head + count) % dueNs.Length] = dueAtNs;
                count++;
            }

            return result;
        }
    }
}
