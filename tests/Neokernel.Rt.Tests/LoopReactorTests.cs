using System.Net.Sockets;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

/// <summary>The paced loop waits in one place for its next timer, ready descriptors and posted work.</summary>
public sealed class LoopReactorTests
{
    private sealed class Counter : IFdReadyCallback, ITimerCallback
    {
        public int Calls { get; private set; }

        public FdEvents Last { get; private set; }

        public long FiredNs { get; private set; } = -1;

        public Action? OnReady { get; set; }

        public void OnFdReady(FdEvents events)
        {
            Calls++;
            Last = events;
            OnReady?.Invoke();
        }

        public void OnTimer(long nowNs) => FiredNs = nowNs;
    }

    [Fact]
    public void Paced_ReadableSocket_RunsItsCallbackLongBeforeTheNextTimer()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var (a, b) = SocketPair();
        using (a)
        using (b)
        {
            var reader = new Counter();
            using var registration = platform.Reactor.Register((int)b.Handle, FdEvents.Readable, reader);
            reader.OnReady = () =>
            {
                var buffer = new byte[8];
                b.Receive(buffer);
            };
            var timer = new Counter();
            platform.CreateTimer(timer).ArmAt(platform.NowNs + 2_000_000_000);
            var writer = new Thread(() =>
            {
                Thread.Sleep(20);
                a.Send([1]);
            });
            var start = LinuxTime.MonotonicNs();
            writer.Start();
            using var cancel = new CancellationTokenSource();
            reader.OnReady += () => cancel.Cancel();
            platform.RunUntil(platform.NowNs + 5_000_000_000, cancel.Token);
            writer.Join();
            var elapsedNs = LinuxTime.MonotonicNs() - start;
            Assert.Equal(1, reader.Calls);
            Assert.True(reader.Last.HasFlag(FdEvents.Readable));
            Assert.Equal(-1, timer.FiredNs);
            Assert.True(elapsedNs < 1_000_000_000, $"the loop woke after {elapsedNs / 1_000_000} ms");
        }
    }

    [Fact]
    public void Paced_PostFromAnotherThread_WakesTheLoopAndRunsOnIt()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        using var cancel = new CancellationTokenSource();
        var loopThread = Environment.CurrentManagedThreadId;
        var ranOn = -1;
        var poster = new Thread(() =>
        {
            Thread.Sleep(20);
            platform.Post(() =>
            {
                ranOn = Environment.CurrentManagedThreadId;
                cancel.Cancel();
            });
        });
        var start = LinuxTime.MonotonicNs();
        poster.Start();
        platform.RunUntil(platform.NowNs + 5_000_000_000, cancel.Token);
        poster.Join();
        Assert.Equal(loopThread, ranOn);
        Assert.True(LinuxTime.MonotonicNs() - start < 1_000_000_000);
    }

    [Fact]
    public void Paced_TimerArmedByACallback_FiresBeforeTheEventTheLoopWaitedFor()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var early = new Counter();
        var late = new Counter();
        var earlyTimer = platform.CreateTimer(early);
        var lateTimer = platform.CreateTimer(late);
        lateTimer.ArmAt(platform.NowNs + 400_000_000);
        var poster = new Thread(() =>
        {
            Thread.Sleep(10);
            platform.Post(() => earlyTimer.ArmAt(platform.NowNs + 20_000_000));
        });
        poster.Start();
        platform.RunUntil(platform.NowNs + 100_000_000);
        poster.Join();
        Assert.True(early.FiredNs > 0, "the timer armed while the loop waited did not fire");
        Assert.Equal(-1, late.FiredNs);
    }

    [Fact]
    public void Paced_TimerCancelledByACallback_DoesNotFire()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var target = new Counter();
        var timer = platform.CreateTimer(target);
        timer.ArmAt(platform.NowNs + 60_000_000);
        var poster = new Thread(() =>
        {
            Thread.Sleep(10);
            platform.Post(timer.Cancel);
        });
        poster.Start();
        platform.RunUntil(platform.NowNs + 120_000_000);
        poster.Join();
        Assert.Equal(-1, target.FiredNs);
    }

    [Fact]
    public void Paced_Timer_NeverFiresBeforeItIsDue()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var target = new Counter();
        var dueNs = platform.NowNs + 15_000_000;
        platform.CreateTimer(target).ArmAt(dueNs);
        platform.RunUntil(dueNs + 5_000_000);
        Assert.True(target.FiredNs >= dueNs, $"fired at {target.FiredNs}, due {dueNs}");
    }

    [Fact]
    public void Reactor_WaitAndDispatch_AllocateNothing()
    {
        using var reactor = new LoopReactor();
        var (a, b) = SocketPair();
        using (a)
        using (b)
        {
            var reader = new Counter();
            using var registration = reactor.Register((int)b.Handle, FdEvents.Readable, reader);
            a.Send([1]);
            var timeNs = LinuxTime.MonotonicNs();
            AllocationAssert.NoAllocations(200, i =>
            {
                reactor.PollNow();
                reactor.WaitUntil(timeNs);
                registration.Change(FdEvents.Readable);
            });
            Assert.True(reader.Calls > 0);
        }
    }

    /// <summary>EPOLLET, as stream devices register: readiness is told once per change.</summary>
    private const FdEvents EdgeTriggered = (FdEvents)0x8000_0000;

    [Fact]
    public void Reactor_ManyReadyWithSlowCallbacks_DispatchesInSlices_AndLosesNoEdge()
    {
        using var reactor = new LoopReactor();
        var bells = Enumerable.Range(0, 10).Select(_ => Doorbell.Create()).ToList();
        var calls = new int[bells.Count];
        var registrations = bells.Select((bell, i) => reactor.Register((int)bell.FileDescriptor.DangerousGetHandle(), FdEvents.Readable | EdgeTriggered, new Slow(() => calls[i]++, 1_000_000))).ToList();
        try
        {
            bells.ForEach(bell => bell.Ring());

            // 10 callbacks of 1 ms each do not fit one 2 ms slice: the first look leaves events for the next.
            var first = reactor.PollNow();
            Assert.InRange(first, 1, 3);
            Assert.Equal(bells.Count - first, reactor.PendingEvents);
            var looks = 1;
            while (reactor.PendingEvents > 0)
            {
                Assert.True(reactor.WaitUntil(LinuxTime.MonotonicNs() + 5_000_000_000) > 0, "a wait with events pending must dispatch them at once, not sleep");
                looks++;
            }

            // Each edge was dispatched once; none is told again (edge-triggered, never drained).
            Assert.All(calls, c => Assert.Equal(1, c));
            Assert.True(looks >= 4, $"{looks} dispatches for 10 ms of callbacks");
            Assert.Equal(0, reactor.PollNow());
        }
        finally
        {
            registrations.ForEach(r => r.Dispose());
            bells.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public void Paced_DueTimer_RunsBetweenSlices_WhileManyDescriptorsHaveSlowCallbacks()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var bells = Enumerable.Range(0, 20).Select(_ => Doorbell.Create()).ToList();
        var calls = 0;
        var callsWhenTimerFired = -1;
        var registrations = bells.Select(bell => platform.Reactor.Register((int)bell.FileDescriptor.DangerousGetHandle(), FdEvents.Readable | EdgeTriggered, new Slow(() => calls++, 5_000_000))).ToList();
        try
        {
            using var cancel = new CancellationTokenSource();
            var timer = new TimerAction(_ =>
            {
                callsWhenTimerFired = calls;
                cancel.Cancel();
            });
            platform.CreateTimer(timer).ArmAt(platform.NowNs + 1_000_000);
            bells.ForEach(bell => bell.Ring());
            platform.RunUntil(platform.NowNs + 5_000_000_000, cancel.Token);

            // 100 ms of callbacks were ready at once; the timer due after 1 ms did not wait for them all.
            Assert.InRange(callsWhenTimerFired, 1, 4);
        }
        finally
        {
            registrations.ForEach(r => r.Dispose());
            bells.ForEach(b => b.Dispose());
        }
    }

    /// <summary>A callback that takes <paramref name="busyNs"/> of CPU, as a handler parsing a large request does.</summary>
    private sealed class Slow(Action onReady, long busyNs) : IFdReadyCallback
    {
        public void OnFdReady(FdEvents events)
        {
            var until = LinuxTime.MonotonicNs() + busyNs;
            while (LinuxTime.MonotonicNs() < until)
            {
                Thread.SpinWait(10);
            }

            onReady();
        }
    }

    private sealed class TimerAction(Action<long> action) : ITimerCallback
    {
        public void OnTimer(long nowNs) => action(nowNs);
    }

    [Fact]
    public void Reactor_DisposedRegistration_IsNotCalledAndItsSlotIsFree()
    {
        using var reactor = new LoopReactor();
        var (a, b) = SocketPair();
        using (a)
        using (b)
        {
            var reader = new Counter();
            var registration = reactor.Register((int)b.Handle, FdEvents.Readable, reader);
            registration.Dispose();
            a.Send([1]);
            reactor.PollNow();
            Assert.Equal(0, reader.Calls);
            Assert.False(registration.IsActive);
            Assert.Equal(0, reactor.Registered);
            Assert.Throws<ObjectDisposedException>(() => registration.Change(FdEvents.Readable));
        }
    }

    [Fact]
    public void Reactor_Full_RefusesWithTheLimitNamed()
    {
        using var reactor = new LoopReactor();
        var (a, b) = SocketPair();
        using (a)
        using (b)
        {
            var registrations = new List<(FdRegistration Registration, Socket Socket)>();
            var counter = new Counter();
            for (var i = 0; i < LoopReactor.RegistrationsMax; i++)
            {
                // epoll refuses the same descriptor twice, so each registration watches a socket of its own.
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                registrations.Add((reactor.Register((int)socket.Handle, FdEvents.Readable, counter), socket));
            }

            var refused = Assert.Throws<InvalidOperationException>(() => reactor.Register((int)a.Handle, FdEvents.Readable, counter));
            Assert.Contains("RegistrationsMax", refused.Message, StringComparison.Ordinal);
            foreach (var (registration, socket) in registrations)
            {
                registration.Dispose();
                socket.Dispose();
            }
        }
    }

    private static (Socket A, Socket B) SocketPair()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        a.Connect(listener.LocalEndPoint!);
        var b = listener.Accept();
        listener.Dispose();
        return (a, b);
    }
}
