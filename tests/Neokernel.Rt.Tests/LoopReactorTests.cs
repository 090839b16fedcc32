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
