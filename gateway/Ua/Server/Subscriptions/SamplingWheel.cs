using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// A hashed timing wheel of one session's monitored items, keyed by the tick each is due: the
/// engine's one timer turns every wheel, so no item or subscription needs a timer of its own.
/// Slots are intrusive doubly linked lists (the items carry the links), so scheduling,
/// cancelling and sampling allocate nothing. An item due further out than the wheel's turn
/// waits in its slot until its tick comes round. When a tick's budget runs out the cursor stays
/// on the slot, and the rest are sampled on the next ticks, late but not lost.
/// </summary>
internal sealed class SamplingWheel
{
    public const int SlotCount = 512;
    private const int SlotMask = SlotCount - 1;

    private readonly MonitoredItem?[] slots = new MonitoredItem?[SlotCount];
    private long cursorTick;
    private MonitoredItem? resumeAt;

    public SamplingWheel(long startTick) => cursorTick = startTick;

    public int Count { get; private set; }

    /// <summary>True when items due at or before <paramref name="tick"/> may still wait.</summary>
    public bool IsBehind(long tick) => Count > 0 && cursorTick <= tick;

    public void Schedule(MonitoredItem item, long dueTick)
    {
        Debug.Assert(!item.InWheel, "an item is scheduled once");
        // While a slot is half walked (resumeAt), an item put at its head would be passed over.
        item.DueTick = Math.Max(dueTick, resumeAt is null ? cursorTick : cursorTick + 1);
        ref var head = ref slots[item.DueTick & SlotMask];
        item.WheelPrev = null;
        item.WheelNext = head;
        if (head is not null)
        {
            head.WheelPrev = item;
        }

        head = item;
        item.InWheel = true;
        Count++;
    }

    public void Cancel(MonitoredItem item)
    {
        if (!item.InWheel)
        {
            return;
        }

        if (resumeAt == item)
        {
            resumeAt = item.WheelNext;
        }

        if (item.WheelPrev is null)
        {
            slots[item.DueTick & SlotMask] = item.WheelNext;
        }
        else
        {
            item.WheelPrev.WheelNext = item.WheelNext;
        }

        if (item.WheelNext is not null)
        {
            item.WheelNext.WheelPrev = item.WheelPrev;
        }

        item.WheelNext = null;
        item.WheelPrev = null;
        item.InWheel = false;
        Count--;
        Debug.Assert(Count >= 0, "the wheel's count never goes negative");
    }

    /// <summary>
    /// Samples the items due up to <paramref name="nowTick"/>, at most <paramref name="budget"/>
    /// of them, each rescheduled one sampling interval on (from now, if it was late); returns the
    /// number sampled. Data plane: allocates nothing.
    /// </summary>
    public int Turn(long nowTick, int budget, long serverUaTicks, ISampleSink sink)
    {
        var sampled = 0;
        while (cursorTick <= nowTick && sampled < budget)
        {
            var item = resumeAt ?? slots[cursorTick & SlotMask];
            resumeAt = null;
            while (item is not null && sampled < budget)
            {
                var next = item.WheelNext;
                if (item.DueTick <= cursorTick)
                {
                    Cancel(item);
                    sink.OnSample(item, serverUaTicks);
                    Schedule(item, Math.Max(item.DueTick + item.SamplingTicks, nowTick + 1));
                    sampled++;
                }

                item = next;
            }

            if (item is not null)
            {
                resumeAt = item;
                break;
            }

            cursorTick++;
        }

        return sampled;
    }
}

/// <summary>What the wheel hands each due item to: the session, which queues the value in its subscription.</summary>
internal interface ISampleSink
{
    void OnSample(MonitoredItem item, long serverUaTicks);
}
