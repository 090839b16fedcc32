using System.Diagnostics;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server.Subscriptions;
using Neokernel.Testing;
using Xunit.Abstractions;
using static Neokernel.Gateway.Tests.Subscriptions.SubscriptionHarness;

namespace Neokernel.Gateway.Tests.Subscriptions;

public sealed class LoadTests(ITestOutputHelper output)
{
    /// <summary>
    /// The notification benchmark on virtual time: 1000 items changing at every 100 ms sample for
    /// 10 s, two Publish requests outstanding, each acknowledged by the next: every change arrives
    /// exactly once and in order, and the sequence numbers have no gap.
    /// </summary>
    [Fact]
    public void ThousandItemsAt100Ms_EveryChangeDeliveredOnceInOrder()
    {
        const int items = 1000;
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        for (var i = 1; i <= items; i++)
        {
            harness.Sampler.Ensure(i).Counting = true;
        }

        harness.Monitor(session, id, items, samplingMs: 100, queueSize: 2);
        var lastValue = new double[items + 1];
        var outstanding = new List<PublishRecorder>();
        uint expectedSequence = 1;
        uint acknowledge = 0;
        var delivered = 0;

        for (var step = 0; step < 1000; step++)
        {
            while (outstanding.Count < 2)
            {
                var acks = acknowledge == 0 ? [] : new[] { new SubscriptionAcknowledgement { SubscriptionId = id, SequenceNumber = acknowledge } };
                outstanding.Add(harness.PublishTimed(session, 0, acks));
                acknowledge = 0;
            }

            harness.Run(10 * Ms);
            foreach (var done in outstanding.Where(r => r.Done))
            {
                var response = done.Response!;
                Assert.Equal(expectedSequence++, response.NotificationMessage.SequenceNumber);
                Assert.All(response.Results!, r => Assert.Equal(StatusCodes.Good, r.Code));
                foreach (var change in Changes(response))
                {
                    var value = change.Value.Value.AsDouble();
                    Assert.Equal(lastValue[change.ClientHandle] + 1, value);
                    lastValue[change.ClientHandle] = value;
                    delivered++;
                }

                acknowledge = response.NotificationMessage.SequenceNumber;
                Assert.True(response.AvailableSequenceNumbers!.Length <= 2);
            }

            outstanding.RemoveAll(r => r.Done);
        }

        Assert.Equal(101u, expectedSequence);
        Assert.Equal(items * 101, delivered);
        Assert.All(Enumerable.Range(1, items), i => Assert.Equal(harness.Sampler.Ensure(i).Samples, (long)lastValue[i]));
        var republished = session.Republish(new RepublishRequest { SubscriptionId = id, RetransmitSequenceNumber = 100 });
        Assert.Equal(items, republished.NotificationMessage.NotificationData!.Select(d => d.Encodeable).OfType<DataChangeNotification>().Single().MonitoredItems!.Length);
    }

    /// <summary>
    /// A session that asks for 20 times the tick's sampling budget samples late; the other
    /// session's 100 items are still sampled and published at every 100 ms, each change once.
    /// </summary>
    [Fact]
    public void FloodingSession_OtherSessionStillServedOnTime()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { SamplesPerTickMax = 500 });
        var flood = harness.Open("flood");
        var floodId = Subscribe(flood).SubscriptionId;
        harness.Monitor(flood, floodId, 5000, samplingMs: 0, first: 10_000);
        var quiet = harness.Open("quiet");
        var quietId = Subscribe(quiet).SubscriptionId;
        for (var i = 1; i <= 100; i++)
        {
            harness.Sampler.Ensure(i).Counting = true;
        }

        harness.Monitor(quiet, quietId, 100, samplingMs: 100);
        var answers = new List<PublishRecorder>();
        for (var cycle = 1; cycle <= 20; cycle++)
        {
            var request = harness.PublishTimed(quiet);
            for (var i = 0; i < 5; i++)
            {
                harness.PublishTimed(flood);
            }

            var samplesBefore = harness.Server.SamplesTaken;
            harness.Run(100 * Ms);
            Assert.True(harness.Server.SamplesTaken - samplesBefore <= 10 * 500, "a tick samples at most its budget");
            answers.Add(request);
        }

        Assert.All(answers.Select((r, i) => (r, i)), a =>
        {
            Assert.Equal((a.i + 1) * 100 * Ms, a.r.AnsweredAtNs);
            Assert.Equal(100, Changes(a.r.Response!).Length);
            Assert.All(Changes(a.r.Response!), c => Assert.Equal(a.i + 2, c.Value.Value.AsDouble()));
        });
    }

    /// <summary>The sampling path, unchanged values and changing ones with queue overflow, allocates nothing.</summary>
    [Fact]
    public void Sampling_SteadyState_AllocatesNothing()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, keepAlive: 10_000, lifetime: 30_000).SubscriptionId;
        harness.Monitor(session, id, 500, samplingMs: 10, queueSize: 1, first: 1);
        for (var i = 501; i <= 1000; i++)
        {
            harness.Sampler.Ensure(i).Counting = true;
        }

        harness.Monitor(session, id, 500, samplingMs: 10, queueSize: 4, first: 501);
        harness.Run(200 * Ms);
        var before = harness.Server.SamplesTaken;

        AllocationAssert.NoAllocations(100, _ => harness.Run(10 * Ms));

        Assert.True(harness.Server.SamplesTaken - before >= 100_000);
    }

    /// <summary>
    /// Not an assertion on time: the rate of the engine with 50 sessions × 1000 items at 100 ms
    /// (500,000 samples/s of virtual time), a tenth of them changing, printed for PERFORMANCE.md.
    /// </summary>
    [Fact]
    public void FiftySessionsOfThousandItems_ReportsSamplesPerSecond()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { MonitoredItemsPerServerMax = 50_000 });
        var sessions = new List<(SubscriptionSession Session, uint Id)>();
        for (var s = 0; s < 50; s++)
        {
            var session = harness.Open("user" + s);
            var id = Subscribe(session, keepAlive: 10_000, lifetime: 30_000).SubscriptionId;
            for (var i = 1; i <= 1000; i++)
            {
                harness.Sampler.Ensure((s * 1000) + i).Counting = i % 10 == 0;
            }

            harness.Monitor(session, id, 1000, samplingMs: 100, first: (s * 1000) + 1);
            sessions.Add((session, id));
        }

        var notifications = 0L;
        var stopwatch = Stopwatch.StartNew();
        for (var step = 0; step < 50; step++)
        {
            var requests = sessions.Select(s => Publish(s.Session)).ToArray();
            harness.Run(100 * Ms);
            notifications += requests.Where(r => r.Response is not null).Sum(r => Changes(r.Response!).Length);
        }

        stopwatch.Stop();
        var samples = harness.Server.SamplesTaken;
        Assert.True(samples >= 50 * 1000 * 50, $"{samples} samples in 5 s of virtual time");
        output.WriteLine($"{samples} samples and {notifications} notifications in {stopwatch.Elapsed.TotalSeconds:F2} s: {samples / stopwatch.Elapsed.TotalSeconds:F0} samples/s, {notifications / stopwatch.Elapsed.TotalSeconds:F0} notifications/s");
    }
}
