using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>One request in flight: whom it went to, how to know its reply, until when it may take, and whom to tell.</summary>
internal readonly record struct PendingCall(EndpointClient Client, long Correlation, long DeadlineNs, ICallCompletion? Completion, long Token, int Tag);

/// <summary>Told of a call whose deadline passed without a reply.</summary>
internal interface IPendingCallsOwner
{
    void OnTimedOut(in PendingCall call);
}

/// <summary>
/// The requests a view or a control has in flight, at most <see cref="Capacity"/>, each with a
/// deadline, under one service timer armed at the earliest. The endpoint client has no timeouts
/// of its own; this is where a reply that never comes becomes <see cref="CallOutcome.Timeout"/>.
/// A reply is matched by client and correlation (correlations are per client), so a late reply to
/// a call that already timed out finds nothing and is dropped. Sending, matching and expiring
/// allocate nothing.
/// </summary>
internal sealed class PendingCalls : ITimerCallback
{
    private readonly PendingCall[] calls;
    private readonly bool[] used;
    private readonly IServiceTimer timer;
    private readonly IClock clock;
    private readonly IPendingCallsOwner owner;
    private long armedDueNs = long.MaxValue;

    public PendingCalls(IServiceContext context, int capacity, long timeoutNs, IPendingCallsOwner owner)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutNs, 1);
        calls = new PendingCall[capacity];
        used = new bool[capacity];
        TimeoutNs = timeoutNs;
        clock = context.Clock;
        this.owner = owner ?? throw new ArgumentNullException(nameof(owner));
        timer = context.CreateTimer(this);
    }

    public int Capacity => calls.Length;

    public int Count { get; private set; }

    public long TimeoutNs { get; }

    /// <summary>Replies that matched no call in flight: they came after their call timed out.</summary>
    public long LateReplies { get; private set; }

    /// <summary>Sends <paramref name="request"/> as a call: <see cref="CallOutcome.Pending"/>, or why it was not sent.</summary>
    public CallOutcome Call(EndpointClient client, ReadOnlySpan<byte> request, ICallCompletion? completion, long token, int tag)
    {
        var slot = Array.IndexOf(used, false);
        if (slot < 0)
        {
            return CallOutcome.Busy;
        }

        var sent = client.Call(request, out var correlation);
        if (sent != SendResult.Accepted)
        {
            return sent == SendResult.QueueFull ? CallOutcome.Busy : CallOutcome.Unavailable;
        }

        var deadlineNs = clock.NowNs + TimeoutNs;
        calls[slot] = new PendingCall(client, correlation, deadlineNs, completion, token, tag);
        used[slot] = true;
        Count++;
        ArmFor(deadlineNs);
        return CallOutcome.Pending;
    }

    /// <summary>Takes the call this reply answers; false for a reply that matches none (late, or not ours).</summary>
    public bool TryTake(EndpointClient client, long correlation, out PendingCall call)
    {
        for (var i = 0; i < calls.Length; i++)
        {
            if (used[i] && calls[i].Correlation == correlation && ReferenceEquals(calls[i].Client, client))
            {
                call = calls[i];
                Release(i);
                return true;
            }
        }

        call = default;
        LateReplies++;
        return false;
    }

    /// <summary>Whether a call with this tag is in flight.</summary>
    public bool HasTag(int tag)
    {
        for (var i = 0; i < calls.Length; i++)
        {
            if (used[i] && calls[i].Tag == tag)
            {
                return true;
            }
        }

        return false;
    }

    public void OnTimer(long nowNs)
    {
        armedDueNs = long.MaxValue;
        for (var i = 0; i < calls.Length; i++)
        {
            if (used[i] && calls[i].DeadlineNs <= nowNs)
            {
                var call = calls[i];
                Release(i);
                owner.OnTimedOut(call);
            }
        }

        for (var i = 0; i < calls.Length; i++)
        {
            if (used[i])
            {
                ArmFor(calls[i].DeadlineNs);
            }
        }
    }

    private void Release(int slot)
    {
        used[slot] = false;
        calls[slot] = default;
        Count--;
    }

    private void ArmFor(long deadlineNs)
    {
        if (deadlineNs < armedDueNs)
        {
            armedDueNs = deadlineNs;
            timer.ArmAt(deadlineNs);
        }
    }
}
