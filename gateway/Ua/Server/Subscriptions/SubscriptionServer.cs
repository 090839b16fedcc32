using System.Diagnostics;
using Neokernel.Kernel.Platform;

namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// The subscription engine of the gateway: every session's subscriptions and monitored items,
/// turned by one timer every <see cref="SubscriptionLimits.TickNs"/>. A tick samples the items
/// that are due, at most <see cref="SubscriptionLimits.SamplesPerTickMax"/>, shared in equal
/// quanta by the sessions in an order that rotates every tick, then runs each session's
/// publishing cycles. So a session with many items samples late rather than delaying the others.
/// Everything runs on the loop: the services, the timer and the publish callbacks.
/// </summary>
public sealed class SubscriptionServer : ITimerCallback
{
    private readonly ISubscriptionLoop loop;
    private readonly IPlatformTimer timer;
    private readonly List<SubscriptionSession> sessions = [];
    private readonly Dictionary<uint, Subscription> subscriptionsById = [];
    private uint lastSubscriptionId;
    private uint lastItemId;
    private int rotation;
    private long lastTick;
    private bool inTick;
    private bool sweepSessions;

    public SubscriptionServer(ISubscriptionLoop loop, IValueSampler sampler, SubscriptionLimits limits)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(limits);
        this.loop = loop;
        Sampler = sampler;
        Limits = limits.Validate();
        timer = loop.CreateTimer(this);
    }

    public SubscriptionLimits Limits { get; }

    public int SessionCount => sessions.Count;

    public int SubscriptionCount => subscriptionsById.Count;

    public int MonitoredItemCount { get; private set; }

    /// <summary>Samples taken since the start, for the gateway's statistics.</summary>
    public long SamplesTaken { get; private set; }

    internal IValueSampler Sampler { get; }

    internal long NowNs => loop.Clock.NowNs;

    internal long NowUaTicks => loop.UaTicksAtClockZero + (loop.Clock.NowNs / 100);

    internal long CurrentTick => loop.Clock.NowNs / Limits.TickNs;

    internal bool HasItemRoom => MonitoredItemCount < Limits.MonitoredItemsPerServerMax;

    /// <summary>The subscription services of a new session, owned by <paramref name="userIdentity"/> (a key the session layer chooses per user; anonymous sessions share one).</summary>
    public SubscriptionSession OpenSession(string userIdentity)
    {
        ArgumentNullException.ThrowIfNull(userIdentity);
        var session = new SubscriptionSession(this, userIdentity, CurrentTick);
        sessions.Add(session);
        if (!timer.IsArmed)
        {
            lastTick = CurrentTick;
            timer.ArmAt((lastTick + 1) * Limits.TickNs);
        }

        return session;
    }

    public void OnTimer(long nowNs)
    {
        var tick = nowNs / Limits.TickNs;
        var elapsedTicks = Math.Max(1, tick - lastTick);
        lastTick = tick;
        var uaTicks = loop.UaTicksAtClockZero + (nowNs / 100);
        SampleFairly(tick, uaTicks);
        inTick = true;
        var count = sessions.Count;
        for (var i = 0; i < count; i++)
        {
            sessions[(rotation + i) % count].OnTick(tick, elapsedTicks, nowNs, uaTicks);
        }

        inTick = false;
        if (sweepSessions)
        {
            // Sessions leave after the round, so removing one never shifts the round's order.
            sweepSessions = false;
            sessions.RemoveAll(static session => session.IsClosed && session.SubscriptionCount == 0);
        }

        rotation = sessions.Count == 0 ? 0 : (rotation + 1) % sessions.Count;
        if (sessions.Count > 0)
        {
            timer.ArmAt((tick + 1) * Limits.TickNs);
        }
    }

    /// <summary>Closes every session (their queued Publish requests answered BadSessionClosed, their subscriptions deleted) and stops the timer: the gateway stopping.</summary>
    public void Stop()
    {
        foreach (var session in sessions.ToArray())
        {
            session.Close(deleteSubscriptions: true);
        }

        timer.Cancel();
        Debug.Assert(sessions.Count == 0 && subscriptionsById.Count == 0, "stopping leaves nothing behind");
    }

    internal Subscription NewSubscription(SubscriptionSession session)
    {
        do
        {
            lastSubscriptionId = lastSubscriptionId == uint.MaxValue ? 1 : lastSubscriptionId + 1;
        }
        while (subscriptionsById.ContainsKey(lastSubscriptionId));

        var subscription = new Subscription(lastSubscriptionId, session, Limits);
        subscriptionsById.Add(subscription.Id, subscription);
        return subscription;
    }

    internal Subscription? FindSubscription(uint id) => subscriptionsById.GetValueOrDefault(id);

    internal void ForgetSubscription(Subscription subscription)
    {
        subscriptionsById.Remove(subscription.Id);
        MonitoredItemCount -= subscription.Items.Count;
        Debug.Assert(MonitoredItemCount >= 0, "the server's item count never goes negative");
        subscription.Items.Clear();
        SessionMaybeDone(subscription.Session);
    }

    /// <summary>A new item's id, unique in the server; counts it against MonitoredItemsPerServerMax.</summary>
    internal uint NewItemId()
    {
        Debug.Assert(HasItemRoom, "the caller checked the server's item limit");
        MonitoredItemCount++;
        lastItemId = lastItemId == uint.MaxValue ? 1 : lastItemId + 1;
        return lastItemId;
    }

    internal void ItemDeleted()
    {
        MonitoredItemCount--;
        Debug.Assert(MonitoredItemCount >= 0, "the server's item count never goes negative");
    }

    internal void SessionClosed(SubscriptionSession session) => SessionMaybeDone(session);

    /// <summary>A closed session leaves the engine once its last kept subscription is gone.</summary>
    internal void SessionMaybeDone(SubscriptionSession session)
    {
        if (!session.IsClosed || session.SubscriptionCount != 0)
        {
            return;
        }

        if (inTick)
        {
            sweepSessions = true;
            return;
        }

        sessions.Remove(session);
    }

    /// <summary>
    /// Turns every session's wheel, in rounds of equal quanta, until the tick's budget is spent
    /// or no wheel is behind: an idle session costs nothing, a loaded one gets what is left.
    /// </summary>
    private void SampleFairly(long tick, long uaTicks)
    {
        var budget = Limits.SamplesPerTickMax;
        var count = sessions.Count;
        while (budget > 0)
        {
            var behind = 0;
            for (var i = 0; i < count; i++)
            {
                behind += sessions[i].Wheel.IsBehind(tick) ? 1 : 0;
            }

            if (behind == 0)
            {
                return;
            }

            var quantum = Math.Max(1, budget / behind);
            var sampled = 0;
            for (var i = 0; i < count && budget > 0; i++)
            {
                var session = sessions[(rotation + i) % count];
                if (session.Wheel.IsBehind(tick))
                {
                    var taken = session.Wheel.Turn(tick, Math.Min(quantum, budget), uaTicks, session);
                    budget -= taken;
                    sampled += taken;
                }
            }

            SamplesTaken += sampled;
            if (sampled == 0)
            {
                return;
            }
        }
    }
}
