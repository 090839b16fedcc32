using System.Diagnostics;
using System.Buffers.Binary;
using Neokernel.Kernel.Ipc;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.CrossProcess;

public sealed class SharedMessageRingTests
{
    private static readonly MessageHeader OneWay = new(MessageKind.OneWay, Sender: 7, Correlation: 0);

    [Fact]
    public void Message_AcceptedWholeOrRefused_TooLargeAndFull()
    {
        using var ring = SharedMessageRing.Create("nk-ring-refuse", capacity: 2, maxMessageBytes: 8);
        Assert.Equal(EnqueueResult.TooLarge, ring.TrySend(new byte[9], OneWay));
        Assert.Equal(EnqueueResult.Accepted, ring.TrySend(new byte[8], OneWay));
        Assert.Equal(EnqueueResult.Accepted, ring.TrySend(ReadOnlySpan<byte>.Empty, OneWay));
        Assert.Equal(EnqueueResult.Full, ring.TrySend(new byte[1], OneWay));
        Assert.Equal(1, ring.RejectedFull);
        Assert.Equal(2, ring.Count);
    }

    [Fact]
    public void Header_KindSenderCorrelation_TravelWithTheMessage()
    {
        using var ring = SharedMessageRing.Create("nk-ring-header", capacity: 4, maxMessageBytes: 16);
        ring.TrySend("ping"u8, new MessageHeader(MessageKind.Request, Sender: 3, Correlation: long.MaxValue - 1));
        var buffer = new byte[16];
        Assert.True(ring.TryReceive(buffer, out var header, out var length));
        Assert.Equal(new MessageHeader(MessageKind.Request, 3, long.MaxValue - 1), header);
        Assert.Equal("ping"u8.ToArray(), buffer[..length]);
        Assert.False(ring.TryReceive(buffer, out _, out _));
    }

    /// <summary>The ring and BoundedMessageQueue, driven by the same random operations, say the same thing every step.</summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 5)]
    [InlineData(64, 11)]
    public void RandomOperations_BehaveExactlyLikeBoundedMessageQueue(int capacity, int seed)
    {
        using var ring = SharedMessageRing.Create("nk-ring-model", capacity, maxMessageBytes: 12);
        var model = new BoundedMessageQueue(capacity, 12);
        var random = new Random(seed);
        var message = new byte[14];
        var fromRing = new byte[12];
        var fromModel = new byte[12];
        for (var step = 0; step < 5_000; step++)
        {
            if (random.Next(3) != 0)
            {
                random.NextBytes(message);
                var length = random.Next(0, 14);
                var header = new MessageHeader((MessageKind)random.Next(3), random.Next(), random.NextInt64());
                Assert.Equal(model.TryEnqueue(message.AsSpan(0, length), header), ring.TrySend(message.AsSpan(0, length), header));
            }
            else
            {
                var got = ring.TryReceive(fromRing, out var ringHeader, out var ringLength);
                Assert.Equal(model.TryDequeue(fromModel, out var modelHeader, out var modelLength), got);
                Assert.Equal(modelHeader, ringHeader);
                Assert.Equal(fromModel.AsSpan(0, modelLength).ToArray(), fromRing.AsSpan(0, ringLength).ToArray());
            }

            Assert.Equal(model.Count, ring.Count);
        }

        Assert.Equal(model.RejectedFull, ring.RejectedFull);
    }

    [Fact]
    public void Attach_ShapeDifferentFromTheGrant_IsRefused()
    {
        using var ring = SharedMessageRing.Create("nk-ring-shape", capacity: 8, maxMessageBytes: 64);
        Assert.Throws<InvalidDataException>(() => SharedMessageRing.Attach("r", ReopenReadWrite(ring), capacity: 8, maxMessageBytes: 56));
        Assert.Throws<InvalidDataException>(() => SharedMessageRing.Attach("r", ReopenReadWrite(ring), capacity: 16, maxMessageBytes: 64));
        using var attached = SharedMessageRing.Attach("r", ReopenReadWrite(ring), capacity: 8, maxMessageBytes: 64);
        ring.TrySend("x"u8, OneWay);
        Assert.Equal(1, attached.Count);
    }

    [Fact]
    public void CorruptedCounters_ThrowInsteadOfReadingOutOfBounds()
    {
        using var ring = SharedMessageRing.Create("nk-ring-corrupt", capacity: 4, maxMessageBytes: 8);
        using var peer = SharedMessageRing.Attach("peer", ReopenReadWrite(ring), 4, 8);
        ring.TrySend("ok"u8, OneWay);

        // The peer process owns the tail; a broken one could write anything there.
        using var raw = SharedMapping.Attach(ReopenReadWrite(ring), SharedMessageRing.BytesFor(4, 8), writable: true, requireSizeSealed: true);
        BinaryPrimitives.WriteInt64LittleEndian(raw.Bytes[64..], 1_000);
        Assert.Throws<InvalidDataException>(() => peer.TryPeek(out _, out _));
        BinaryPrimitives.WriteInt64LittleEndian(raw.Bytes[64..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(raw.Bytes[256..], 9_999);
        Assert.Throws<InvalidDataException>(() => peer.TryPeek(out _, out _));
    }

    [Fact]
    public void BusyConsumer_CostsTheProducerNoWakeCalls()
    {
        using var ring = SharedMessageRing.Create("nk-ring-nowake", capacity: 16, maxMessageBytes: 8);
        var buffer = new byte[8];
        for (var i = 0; i < 10_000; i++)
        {
            ring.TrySend("m"u8, OneWay);
            Assert.True(ring.TryReceive(buffer, out _, out _));
        }

        Assert.Equal(0, ring.WakeCalls);
    }

    [Fact]
    public void SleepingConsumer_IsWokenByTheProducer_NotByTheTimeout()
    {
        using var producer = SharedMessageRing.Create("nk-ring-wake", capacity: 4, maxMessageBytes: 8);
        using var consumer = SharedMessageRing.Attach("c", ReopenReadWrite(producer), 4, 8);
        long wokeAfterNs = -1;
        var waiting = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            waiting.Set();
            var start = Stopwatch.GetTimestamp();
            if (consumer.WaitForMessage(timeoutNs: 10_000_000_000))
            {
                wokeAfterNs = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            }
        });
        thread.Start();
        waiting.Wait();
        SpinUntil(() => consumer.WaitCalls > 0);
        Thread.Sleep(20);
        producer.TrySend("wake"u8, OneWay);
        Assert.True(thread.Join(5_000));
        Assert.InRange(wokeAfterNs, 1, 5_000_000_000);
        Assert.Equal(1, producer.WakeCalls);
    }

    [Fact]
    public void WaitForMessage_EmptyRing_TimesOut()
    {
        using var ring = SharedMessageRing.Create("nk-ring-timeout", capacity: 4, maxMessageBytes: 8);
        var start = Stopwatch.GetTimestamp();
        Assert.False(ring.WaitForMessage(timeoutNs: 20_000_000));
        Assert.InRange(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 19, 5_000);
    }

    internal static Microsoft.Win32.SafeHandles.SafeFileHandle ReopenReadWrite(SharedMessageRing ring)
    {
        var fd = LinuxNative.open($"/proc/self/fd/{ring.FileDescriptor.DangerousGetHandle()}", LinuxNative.O_RDWR | LinuxNative.O_CLOEXEC);
        Assert.True(fd >= 0, "re-opening the ring's memfd read-write in its own process (as root)");
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    private static void SpinUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (!condition() && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(1);
        }
    }
}

/// <summary>Two threads hammering the ring, and the allocation measurement: both alone, so they neither load nor are loaded by timing tests.</summary>
[Collection(SerialCollection.Name)]
public sealed class SharedMessageRingSerialTests
{
    [Fact]
    public void TwoThreads_200kMessages_ExactlyOnceInOrder()
    {
        using var producer = SharedMessageRing.Create("nk-ring-spsc", capacity: 8, maxMessageBytes: 8);
        using var consumer = SharedMessageRing.Attach("c", SharedMessageRingTests.ReopenReadWrite(producer), 8, 8);
        const long messages = 200_000;
        var failure = (string?)null;
        var reader = new Thread(() =>
        {
            var buffer = new byte[8];
            for (long expected = 0; expected < messages;)
            {
                if (!consumer.TryReceive(buffer, out var header, out _))
                {
                    consumer.WaitForMessage(1_000_000_000, spinNs: 20_000);
                    continue;
                }

                if (header.Correlation != expected || BitConverter.ToInt64(buffer) != expected)
                {
                    failure = $"expected {expected}, got correlation {header.Correlation}, payload {BitConverter.ToInt64(buffer)}";
                    return;
                }

                expected++;
            }
        });
        reader.Start();
        var payload = new byte[8];
        for (long i = 0; i < messages;)
        {
            BitConverter.TryWriteBytes(payload, i);
            if (producer.TrySend(payload, new MessageHeader(MessageKind.OneWay, 1, i)) == EnqueueResult.Accepted)
            {
                i++;
            }
            else
            {
                Thread.Yield();
            }
        }

        Assert.True(reader.Join(60_000));
        Assert.Null(failure);
        Assert.Equal(0, producer.Count);
    }

    [Fact]
    public void SendReceiveWaitAndWake_AllocateNothing_AfterWarmUp()
    {
        using var requests = SharedMessageRing.Create("nk-ring-alloc", capacity: 16, maxMessageBytes: 64);
        var message = new byte[64];
        var destination = new byte[64];
        var header = new MessageHeader(MessageKind.Request, 1, 0);
        var word = new int[1];

        // Warms every import (the first call of a lazily bound P/Invoke allocates) and the paths.
        AllocationAssert.NoAllocations(200, i =>
        {
            requests.TrySend(message, header);
            requests.WaitForMessage(timeoutNs: 1_000);
            requests.TryReceive(destination, out _, out _);
            requests.WaitForMessage(timeoutNs: 1_000);
            Futex.Wake(ref word[0], 1);
        });
    }
}
