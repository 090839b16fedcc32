using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;

namespace Neokernel.Benchmarks;

/// <summary>
/// One-way delivery of a 16-byte command (the tank controller's command size) from this process
/// to a child process (this harness again, with <see cref="PeerFlag"/>), three ways at once, each
/// stamped with CLOCK_MONOTONIC when sent and when its consumer has it (the clock is the machine's,
/// so one process's stamp means the same in the other):
/// <list type="bullet">
/// <item>to an event-driven, best-effort consumer: a <see cref="SharedMessageRing"/> with its
/// eventfd <see cref="Doorbell"/>, watched by a <see cref="LoopReactor"/> (<c>WatchArrivals</c>), as
/// an isolated event-driven service's loop receives;</item>
/// <item>to a real-time consumer: the same ring drained at each cycle start by a
/// <see cref="RealtimeCyclicExecutor"/> task (SCHED_FIFO 80 on CPU 1, 10 ms period: the tank
/// controller's timing), as the controller takes its commands;</item>
/// <item>the anchor: the same 16 bytes over a Unix-domain stream socket between the same two
/// processes, read by a thread blocked in recv.</item>
/// </list>
/// </summary>
internal static class CommandDelivery
{
    public const string PeerFlag = "--delivery-peer";
    public const int MessageBytes = 16;
    public const int PeriodUs = 10_000;
    public const int Priority = 80;
    public const int Cpu = 1;
    private const int RingCapacity = 8;
    private const int SamplesMax = 100_000;
    private const long EndMarker = -1;

    /// <summary>Sends every ~1 ms, alternating event ring and socket; every 13th tick one to the cyclic ring, so its sends fall at every phase of the 10 ms grid.</summary>
    public static CommandDeliveryResult Run(int ticks)
    {
        var path = Path.Combine(Path.GetTempPath(), $"neokernel-bench-delivery-{Environment.ProcessId}.sock");
        File.Delete(path);
        using var eventRing = SharedMessageRing.Create("delivery.event", RingCapacity, MessageBytes);
        using var cyclicRing = SharedMessageRing.Create("delivery.cyclic", RingCapacity, MessageBytes);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        InheritedFds.MarkCloseOnExec();
        using var child = Process.Start(PeerStartInfo(path)) ?? throw new InvalidOperationException("the delivery peer did not start");
        if (!listener.Poll(30_000_000, SelectMode.SelectRead))
        {
            throw new TimeoutException($"the delivery peer did not connect within 30 s (exited: {child.HasExited})");
        }

        using var socket = listener.Accept();
        File.Delete(path);
        FdPassing.Send(socket, [1], eventRing.FileDescriptor, eventRing.DoorbellDescriptor!, cyclicRing.FileDescriptor);
        Span<byte> ready = stackalloc byte[1];
        if (!SocketIo.ReceiveExactly(socket, ready))
        {
            throw new InvalidOperationException("the delivery peer closed before it was ready");
        }

        Span<byte> message = stackalloc byte[MessageBytes];
        for (var tick = 0; tick < ticks; tick++)
        {
            Stamp(message, tick);
            if (tick % 2 == 0)
            {
                _ = eventRing.TrySend(message, new MessageHeader(MessageKind.OneWay, 1, tick));
            }
            else
            {
                SocketIo.SendAll(socket, message);
            }

            if (tick % 13 == 0)
            {
                Stamp(message, tick);
                _ = cyclicRing.TrySend(message, new MessageHeader(MessageKind.OneWay, 1, tick));
            }

            Thread.Sleep(1);
        }

        Thread.Sleep(2 * PeriodUs / 1000);
        BinaryPrimitives.WriteInt64LittleEndian(message, EndMarker);
        SocketIo.SendAll(socket, message);
        var result = new CommandDeliveryResult(ReadSamples(socket), ReadSamples(socket), ReadSamples(socket));
        child.WaitForExit(10_000);
        return result;
    }

    /// <summary>The child's side: consumes on the three paths until the end marker, then sends the delays back.</summary>
    public static int RunPeer(string socketPath)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        var payload = new byte[8];
        if (!FdPassing.TryReceive(socket, payload, out _, out var fds) || fds.Length != 3)
        {
            Console.Error.WriteLine("delivery peer: expected three fds (event ring, its doorbell, cyclic ring)");
            return 1;
        }

        using var eventRing = SharedMessageRing.Attach("delivery.event", fds[0], RingCapacity, MessageBytes, fds[1]);
        using var cyclicRing = SharedMessageRing.Attach("delivery.cyclic", fds[2], RingCapacity, MessageBytes);
        var eventDelays = new Delays();
        var cyclicDelays = new Delays();
        var socketDelays = new Delays();
        using var reactor = new LoopReactor();
        var stopping = false;
        var loop = new Thread(() =>
        {
            eventRing.ArrivalLoop = reactor;
            if (!eventRing.WatchArrivals(new Drain(eventRing, eventDelays)))
            {
                throw new InvalidOperationException("the event ring has no doorbell");
            }

            while (!Volatile.Read(ref stopping))
            {
                reactor.WaitUntil(LinuxTime.MonotonicNs() + 100_000_000);
            }
        })
        { IsBackground = true, Name = "delivery-event-loop" };
        loop.Start();
        var spec = new CyclicTaskSpec("delivery", TimingClass.RtFifo, Priority, Cpu, PeriodUs * 1000L, 0, 2_000_000, 500_000, OverrunPolicy.Skip, 3);
        var task = new RealtimeCyclicExecutor(new RealtimeCyclicOptions { OriginNs = LinuxTime.MonotonicNs() }).Start(spec, new CycleDrain(cyclicRing, cyclicDelays), new IgnoringObserver());
        socket.Send([1]);

        var message = new byte[MessageBytes];
        while (SocketIo.ReceiveExactly(socket, message))
        {
            var now = LinuxTime.MonotonicNs();
            var sent = BinaryPrimitives.ReadInt64LittleEndian(message);
            if (sent == EndMarker)
            {
                break;
            }

            socketDelays.Add(now - sent);
        }

        task.Stop();
        Volatile.Write(ref stopping, true);
        reactor.Wake();
        loop.Join(TimeSpan.FromSeconds(5));
        foreach (var delays in new[] { eventDelays, cyclicDelays, socketDelays })
        {
            delays.SendTo(socket);
        }

        return 0;
    }

    private static void Stamp(Span<byte> message, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(message, LinuxTime.MonotonicNs());
    }

    private static long[] ReadSamples(Socket socket)
    {
        var count = new byte[8];
        if (!SocketIo.ReceiveExactly(socket, count))
        {
            throw new InvalidOperationException("the delivery peer closed before it sent its samples");
        }

        var bytes = new byte[BinaryPrimitives.ReadInt64LittleEndian(count) * 8];
        if (!SocketIo.ReceiveExactly(socket, bytes))
        {
            throw new InvalidOperationException("the delivery peer closed in the middle of its samples");
        }

        var samples = new long[bytes.Length / 8];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));
        }

        Array.Sort(samples);
        return samples;
    }

    private static ProcessStartInfo PeerStartInfo(string socketPath) => SelfProcess.StartInfo(PeerFlag, socketPath);

    /// <summary>Delays in ns, preallocated so recording allocates nothing on the consumers' paths.</summary>
    private sealed class Delays
    {
        private readonly long[] samples = new long[SamplesMax];
        private int count;

        public void Add(long ns)
        {
            if (count < samples.Length)
            {
                samples[count++] = ns;
            }
        }

        public void SendTo(Socket socket)
        {
            var bytes = new byte[8 + (count * 8)];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, count);
            for (var i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 + (i * 8)), samples[i]);
            }

            SocketIo.SendAll(socket, bytes);
        }
    }

    /// <summary>The event-driven consumer: on the doorbell, takes every message in the ring.</summary>
    private sealed class Drain(SharedMessageRing ring, Delays delays) : IArrivalListener
    {
        private readonly byte[] message = new byte[MessageBytes];

        public void OnArrival() => Take(ring, message, delays);
    }

    /// <summary>The real-time consumer: at each cycle start, takes every message in the ring.</summary>
    private sealed class CycleDrain(SharedMessageRing ring, Delays delays) : ICyclicBody
    {
        private readonly byte[] message = new byte[MessageBytes];

        public void Execute(in CycleInfo cycle) => Take(ring, message, delays);
    }

    private static void Take(SharedMessageRing ring, byte[] message, Delays delays)
    {
        while (ring.TryReceive(message, out _, out _))
        {
            delays.Add(LinuxTime.MonotonicNs() - BinaryPrimitives.ReadInt64LittleEndian(message));
        }
    }

    private sealed class IgnoringObserver : ICyclicTaskObserver
    {
        public void OnBodyFault(Exception exception) => Console.Error.WriteLine($"delivery peer: cyclic body: {exception.Message}");

        public void OnOverrun(long lateNs)
        {
        }

        public void OnWatchdog(long consecutiveOverruns)
        {
        }

        public void OnCycleCompleted(long nowNs)
        {
        }
    }
}

/// <summary>One-way delays in ns, sorted, per path.</summary>
internal sealed record CommandDeliveryResult(long[] EventNs, long[] CyclicNs, long[] SocketNs)
{
    public string? Error { get; init; }

    public static CommandDeliveryResult Failed(string error) => new([], [], []) { Error = error };

    public string Section()
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"command-delivery\"></a>");
        text.AppendLine("## One-way command delivery to an isolated service");
        text.AppendLine();
        if (Error is { } error)
        {
            text.AppendLine($"Not measured in this run: {error}.");
            return text.ToString();
        }

        text.AppendLine("A 16-byte command (the size of the tank controller's commands) from one process to another, in µs from the sender's CLOCK_MONOTONIC stamp to the consumer's.");
        text.AppendLine();
        text.AppendLine("| Path | consumer | messages | p50 | p90 | p99 | max |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        Row(text, "**ring + eventfd doorbell**", "best-effort, event-driven: its LoopReactor wakes on the doorbell", EventNs);
        Row(text, "ring, taken at the cycle start", Inv($"real-time: SCHED_FIFO {CommandDelivery.Priority} task on CPU {CommandDelivery.Cpu}, {CommandDelivery.PeriodUs / 1000} ms period (the tank controller's loop)"), CyclicNs);
        Row(text, "Anchor: Unix-domain stream socket", "a thread blocked in recv in the same child", SocketNs);
        text.AppendLine();
        text.AppendLine("### How the command delivery is measured");
        text.AppendLine();
        text.AppendLine("- The harness starts a child (itself again) and hands it, over a Unix socket with SCM_RIGHTS, two `SharedMessageRing`s (capacity 8, 16-byte slots, as the controller's command endpoint): one with its eventfd doorbell, which the child's `LoopReactor` watches with `WatchArrivals` (how an isolated event-driven service's loop receives), and one that a `RealtimeCyclicExecutor` task drains at each cycle start (how the isolated tank controller takes its commands: a command waits for the next release). The anchor is the same socket, read by the child's main thread blocked in recv.");
        text.AppendLine("- The harness sends about every millisecond, alternating the doorbell ring and the socket, and every 13th millisecond one command to the cyclic ring, so those fall at every phase of its 10 ms grid. Each message carries its CLOCK_MONOTONIC send time; the consumer subtracts it from its own reading when it has the message in hand. The cyclic path's p50 is therefore about half a period by design; what the doorbell buys is the event-driven path, which a best-effort service (a gateway) sees at once.");
        text.AppendLine("- The sender is the harness's own thread, not the kernel's `Endpoint` in the demo: the ring, the doorbell and the loops on the receiving side are the ones the demo runs, so the delivery is the demo's less the sender's endpoint bookkeeping (a copy into the slot).");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string path, string consumer, long[] ns)
    {
        if (ns.Length == 0)
        {
            text.AppendLine($"| {path} | {consumer} | 0 | - | - | - | - |");
            return;
        }

        text.AppendLine(Inv($"| {path} | {consumer} | {ns.Length} | {Us(Stats.Percentile(ns, 50))} | {Us(Stats.Percentile(ns, 90))} | {Us(Stats.Percentile(ns, 99))} | {Us(ns[^1])} |"));
    }

    private static string Us(double ns) => (ns / 1e3).ToString("F1", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
