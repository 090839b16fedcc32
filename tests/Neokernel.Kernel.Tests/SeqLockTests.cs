using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class SeqLockTests
{
    private const int PayloadBytes = 256;

    [Fact]
    public void Write_ThenTryRead_CopiesPayloadAndEvenSequence()
    {
        var sequence = new long[1];
        var shared = new byte[PayloadBytes];
        var copy = new byte[PayloadBytes];
        Assert.Equal(2, SeqLock.Write(ref sequence[0], Filled(7), shared));
        Assert.Equal(4, SeqLock.Write(ref sequence[0], Filled(9), shared));

        Assert.True(SeqLock.TryRead(ref sequence[0], shared, copy, out var seen));
        Assert.Equal(4, seen);
        Assert.All(copy, b => Assert.Equal(9, b));
    }

    /// <summary>A writer stuck mid-write (odd sequence) is answered with false after the bounded attempts, never a hang.</summary>
    [Fact]
    public void TryRead_WriteNeverEnds_GivesUpAfterBoundedAttempts()
    {
        var sequence = new long[] { 5 };
        var shared = Filled(1);
        var copy = Filled(0);

        Assert.False(SeqLock.TryRead(ref sequence[0], shared, copy, out var seen));
        Assert.Equal(-1, seen);
        Assert.Equal(5, sequence[0]);
    }

    /// <summary>A writer killed mid-write leaves the sequence odd; the next writer completes it to even rather than inverting it.</summary>
    [Fact]
    public void Write_AfterWriterDiedMidWrite_LeavesSequenceEven()
    {
        var sequence = new long[] { 5 };
        var shared = new byte[PayloadBytes];

        Assert.Equal(6, SeqLock.Write(ref sequence[0], Filled(3), shared));
        Assert.True(SeqLock.TryRead(ref sequence[0], shared, new byte[PayloadBytes], out var seen));
        Assert.Equal(6, seen);
    }

    /// <summary>Every write fills all bytes with one value; readers on other threads must never copy a mix of two writes.</summary>
    [Fact]
    public void TryRead_UnderConcurrentWriter_NeverSeesTornCopy()
    {
        var sequence = new long[1];
        var shared = new byte[PayloadBytes];
        using var stop = new CancellationTokenSource();
        long torn = 0;
        long reads = 0;
        var writer = new Thread(() =>
        {
            var source = new byte[PayloadBytes];
            for (var k = 0; !stop.IsCancellationRequested; k++)
            {
                Array.Fill(source, (byte)k);
                SeqLock.Write(ref sequence[0], source, shared);
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            var copy = new byte[PayloadBytes];
            while (!stop.IsCancellationRequested)
            {
                if (!SeqLock.TryRead(ref sequence[0], shared, copy, out var seen))
                {
                    continue;
                }

                Interlocked.Increment(ref reads);
                if ((seen & 1) != 0 || Array.Exists(copy, b => b != copy[0]))
                {
                    Interlocked.Increment(ref torn);
                }
            }
        })).ToArray();

        writer.Start();
        Array.ForEach(readers, r => r.Start());
        Thread.Sleep(200);
        stop.Cancel();
        writer.Join();
        Array.ForEach(readers, r => r.Join());

        Assert.Equal(0, torn);
        Assert.True(reads > 0, "no reader completed a copy in 200 ms");
    }

    /// <summary>
    /// Guards the seqlock's memory ordering, which no run on this x64 host can: x64 (TSO) keeps
    /// loads in order and stores in order, so removing the reader's fence or weakening a writer's
    /// store changes nothing observable here, while ARM64 would let a reader copy half a write
    /// under an even sequence. This reads the calls in the compiled methods instead: the writer
    /// makes the sequence odd with a full fence (Interlocked.Exchange) before it copies and even
    /// with a release (Volatile.Write) after; the reader takes the sequence with an acquire
    /// (Volatile.Read), copies, and puts a full fence (Interlocked.MemoryBarrier) between the copy
    /// and its second sequence read. The remarks of <see cref="SeqLock"/> say why each is needed.
    /// </summary>
    [Fact]
    public void WriteAndTryRead_Orderings_AreFencesInTheirPlaces()
    {
        Assert.Equal(
            ["Interlocked.Exchange", "ReadOnlySpan`1.CopyTo", "Volatile.Write"],
            OrderingCalls(nameof(SeqLock.Write)));
        Assert.Equal(
            ["Volatile.Read", "Thread.SpinWait", "ReadOnlySpan`1.CopyTo", "Interlocked.MemoryBarrier", "Volatile.Read"],
            OrderingCalls(nameof(SeqLock.TryRead)));
    }

    [Fact]
    public void WriteAndTryRead_SteadyState_AllocateNothing()
    {
        var sequence = new long[1];
        var shared = new byte[PayloadBytes];
        var source = Filled(4);
        var copy = new byte[PayloadBytes];
        AllocationAssert.NoAllocations(10_000, i =>
        {
            SeqLock.Write(ref sequence[0], source, shared);
            SeqLock.TryRead(ref sequence[0], shared, copy, out _);
        });
    }

    /// <summary>
    /// The calls in <paramref name="methodName"/>'s IL that order memory or move the payload, in
    /// code order. Scans for the call opcode (0x28) followed by a method token; a token that does
    /// not resolve is an operand that happened to hold 0x28, and is skipped.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Test code: runs under the JIT on the untrimmed kernel assembly, whose IL and tokens are the ones it reads.")]
    private static List<string> OrderingCalls(string methodName)
    {
        var method = typeof(SeqLock).GetMethod(methodName)!;
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        var calls = new List<string>();
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] != 0x28 || il[i + 4] is not (0x06 or 0x0A or 0x2B))
            {
                continue;
            }

            System.Reflection.MethodBase? callee;
            try
            {
                callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1));
            }
            catch (ArgumentException)
            {
                continue;
            }

            var name = $"{callee!.DeclaringType!.Name}.{callee.Name}";
            if (callee.DeclaringType == typeof(Interlocked) || callee.DeclaringType == typeof(Volatile) || name is "Thread.SpinWait" or "ReadOnlySpan`1.CopyTo")
            {
                calls.Add(name);
                i += 4;
            }
        }

        return calls;
    }

    private static byte[] Filled(byte value)
    {
        var bytes = new byte[PayloadBytes];
        Array.Fill(bytes, value);
        return bytes;
    }
}
