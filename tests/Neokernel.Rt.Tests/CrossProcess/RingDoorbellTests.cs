using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Ipc;
using Neokernel.Rt.Linux;
using Neokernel.Testing;
using Xunit.Abstractions;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// A consumer asleep in its event loop is woken by the ring's doorbell (an eventfd in its epoll
/// set), rung by the producer only when the consumer said it sleeps: one ring per wake-up.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RingDoorbellTests(ITestOutputHelper output)
{
    private static readonly MessageHeader OneWay = new(MessageKind.OneWay, Sender: 1, Correlation: 0);

    [Fact]
    public void Producer_RingsOncePerSleep_NotPerMessage()
    {
        using var loop = new LoopReactor();
        using var producer = SharedMessageRing.Create("nk-bell-once", capacity: 256, maxMessageBytes: 8);
        using var consumer = Consumer(producer, loop);
        var arrivals = new CountingListener();
        Assert.True(consumer.WatchArrivals(arrivals));

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(EnqueueResult.Accepted, producer.TrySend("m"u8, OneWay));
        }

        Assert.Equal(1, producer.WakeCalls);
        Assert.Equal(1, loop.PollNow());
        Assert.Equal(1, arrivals.Count);

        var buffer = new byte[8];
        var received = 0;
        while (consumer.TryReceive(buffer, out _, out _))
        {
            received++;
        }

        // The empty look put the consumer back to sleep: the next message rings again.
        Assert.Equal(100, received);
        producer.TrySend("m"u8, OneWay);
        Assert.Equal(2, producer.WakeCalls);
        Assert.Equal(1, loop.PollNow());
        Assert.Equal(2, arrivals.Count);
    }

    [Fact]
    public void Producer_Send_WithDoorbell_IsAllocationFree()
    {
        using var loop = new LoopReactor();
        using var producer = SharedMessageRing.Create("nk-bell-alloc", capacity: 4, maxMessageBytes: 8);
        using var consumer = Consumer(producer, loop);
        Assert.True(consumer.WatchArrivals(new CountingListener()));
        var buffer = new byte[8];
        AllocationAssert.NoAllocations(10_000, i =>
        {
            producer.TrySend("m"u8, OneWay);
            consumer.TryReceive(buffer, out _, out _);
            consumer.TryReceive(buffer, out _, out _);
        });
        Assert.True(producer.WakeCalls > 0);
    }

    [Fact]
    public void SleepingLoop_IsWokenByTheDoorbell_WellUnderThePollPeriod()
    {
        const int messages = 200;
        using var producer = SharedMessageRing.Create("nk-bell-latency", capacity: 16, maxMessageBytes: 8);
        var latenciesNs = new List<long>(messages);
        using var delivered = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        using var watching = new ManualResetEventSlim();
        var consumerThread = new Thread(() =>
        {
            using var loop = new LoopReactor();
            using var consumer = Consumer(producer, loop);
            var buffer = new byte[8];
            var listener = new DrainingListener(() =>
            {
                while (consumer.TryReceive(buffer, out _, out _))
                {
                    latenciesNs.Add(LinuxTime.MonotonicNs() - BinaryPrimitives.ReadInt64LittleEndian(buffer));
                    delivered.Release();
                }
            });
            Assert.True(consumer.WatchArrivals(listener));

            // As an endpoint does when it binds: what came before the watch is taken now, what comes after rings.
            listener.OnArrival();
            watching.Set();
            while (!stop.IsCancellationRequested)
            {
                loop.WaitUntil(LinuxTime.MonotonicNs() + 50_000_000);
            }
        }) { IsBackground = true };
        consumerThread.Start();
        Assert.True(watching.Wait(TimeSpan.FromSeconds(10)), "the consumer's loop did not start");

        var message = new byte[8];
        for (var i = 0; i < messages; i++)
        {
            // The consumer is asleep in epoll by now: each message is one wake-up.
            Thread.Sleep(1);
            BinaryPrimitives.WriteInt64LittleEndian(message, LinuxTime.MonotonicNs());
            Assert.Equal(EnqueueResult.Accepted, producer.TrySend(message, OneWay));
            Assert.True(delivered.Wait(TimeSpan.FromSeconds(5)), $"message {i} was not delivered within 5 s");
        }

        stop.Cancel();
        consumerThread.Join();
        latenciesNs.Sort();
        var p50Ns = latenciesNs[messages / 2];
        output.WriteLine($"send to delivery over the doorbell: p50 {p50Ns / 1_000.0:0.0} us, p90 {latenciesNs[messages * 9 / 10] / 1_000.0:0.0} us, max {latenciesNs[^1] / 1_000.0:0.0} us; {producer.WakeCalls} rings for {messages} messages");
        Assert.Equal(messages, latenciesNs.Count);
        Assert.InRange(producer.WakeCalls, 1, messages);

        // The poll this replaced delivered at up to 1 ms (0.5 ms on average); generous for a loaded machine.
        Assert.InRange(p50Ns, 0, SharedMessageRing.PollIntervalNsDefault);
    }

    /// <summary>The consumer's end of the ring, as a service host process maps it: its own mapping of the memfd and its own copy of the doorbell.</summary>
    private static SharedMessageRing Consumer(SharedMessageRing producer, LoopReactor loop)
    {
        var doorbell = LinuxNative.fcntl((int)producer.DoorbellDescriptor!.DangerousGetHandle(), FDupFdCloexec, 0);
        Assert.True(doorbell >= 0, "dup of the doorbell");
        var consumer = SharedMessageRing.Attach("consumer", SharedMessageRingTests.ReopenReadWrite(producer), producer.Capacity, producer.MaxMessageBytes, new SafeFileHandle(doorbell, ownsHandle: true));
        consumer.ArrivalLoop = loop;
        return consumer;
    }

    /// <summary>fcntl's F_DUPFD_CLOEXEC: a second descriptor for the same eventfd, as SCM_RIGHTS gives the peer.</summary>
    private const int FDupFdCloexec = 1030;

    private sealed class CountingListener : IArrivalListener
    {
        public int Count { get; private set; }

        public void OnArrival() => Count++;
    }

    private sealed class DrainingListener(Action drain) : IArrivalListener
    {
        public void OnArrival() => drain();
    }
}
