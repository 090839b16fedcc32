using System.Text;
using Neokernel.Contracts;
using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Kernel.Ipc;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Plant;

/// <summary>
/// The views and calls when the other side misbehaves, against a scripted peer on a fake
/// context: a provider that does not answer makes a view stale (with since when) or a call time
/// out, a refusal or a reply that does not decode makes it stale too, a late reply is dropped,
/// and nothing throws.
/// </summary>
public sealed class FailureTests
{
    private const long Ms = 1_000_000;

    public enum Behaviour
    {
        Answer,
        Silent,
        Refuse,
        Garbage,
    }

    /// <summary>Plays the kernel's kernel.status (two services, the first with statistics) or any provider that answers one byte.</summary>
    private sealed class ScriptedPeer : IMessageHandler
    {
        public Behaviour Behaviour { get; set; }

        public byte Status { get; set; }

        public int Requests { get; private set; }

        public List<(EndpointServer Server, long Correlation)> Unanswered { get; } = [];

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            Requests++;
            Span<byte> reply = stackalloc byte[KernelEndpoints.MaxMessageBytes];
            switch (Behaviour)
            {
                case Behaviour.Silent:
                    return;
                case Behaviour.Refuse:
                    server.Reply(message, reply[..KernelMessages.EncodeStatus(KernelReplyStatus.NotFound, reply)]);
                    return;
                case Behaviour.Garbage:
                    reply[0] = 0;
                    server.Reply(message, reply[..2]);
                    return;
            }

            server.Reply(message, reply[..Answer(message.Payload, reply)]);
        }

        private int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
        {
            KernelMessages.TryDecodeIndex(request, out var index);
            return KernelMessages.OperationOf(request) switch
            {
                KernelOperation.Summary => KernelMessages.EncodeSummary(new SummaryReply(2, 0, 1, 5, 6, 7), reply),
                KernelOperation.Service => KernelMessages.EncodeService(
                    new ServiceFields(ServiceKindCode.Driver, ServiceStateCode.Running, index == 0 ? ServiceFlags.HasStatistics : ServiceFlags.None, 1, 0, Status),
                    index == 0 ? "sensor" : "gateway",
                    Status == 0 ? "" : "reported: broken",
                    reply),
                KernelOperation.ServiceStatistics => KernelMessages.EncodeStatistics(true, new TaskStatistics(10, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), reply),
                _ => KernelMessages.EncodeStatus(Status == 0 ? KernelReplyStatus.Ok : (KernelReplyStatus)Status, reply),
            };
        }
    }

    private static (FakeServiceContext Context, ScriptedPeer Peer) Context(string endpoint)
    {
        var context = new FakeServiceContext(periodUs: 0, serviceId: "gateway", kind: "gateway");
        context.AddEndpoint(endpoint, FakeServiceContext.PeerId, [context.ServiceId], queueDepth: KernelEndpoints.QueueDepth);
        var peer = new ScriptedPeer();
        context.Objects.ServeEndpoint(endpoint, FakeServiceContext.PeerId, peer);
        return (context, peer);
    }

    [Fact]
    public void SystemStatusView_ProviderSilent_IsStaleSinceTheFirstTimeoutAndRecovers()
    {
        var (context, peer) = Context(KernelEndpoints.Status);
        var view = new SystemStatusView(context, new SystemStatusViewOptions(PeriodMs: 250, RequestTimeoutMs: 100));
        view.Start();
        context.RunFor(10 * Ms);
        Assert.Equal((ViewFreshness.Fresh, 2), (view.Freshness, view.ServiceCount));
        Assert.Equal(("sensor", 10L, "gateway", false), (view.Service(0).Id, view.Service(0).Statistics.Cycles, view.Service(1).Id, view.Service(1).HasStatistics));

        peer.Behaviour = Behaviour.Silent;
        context.RunFor(1_000 * Ms);

        Assert.Equal((ViewFreshness.Stale, StaleReason.Timeout), (view.Freshness, view.StaleReason));
        Assert.Equal(350 * Ms, view.StaleSinceNs);
        Assert.Equal(3, view.Failures);
        Assert.Equal(2, view.ServiceCount);
        Assert.Equal("sensor", view.Service(0).Id);

        peer.Behaviour = Behaviour.Answer;
        context.RunFor(300 * Ms);
        Assert.Equal((ViewFreshness.Fresh, StaleReason.None), (view.Freshness, view.StaleReason));
    }

    [Theory]
    [InlineData(Behaviour.Refuse, StaleReason.Refused)]
    [InlineData(Behaviour.Garbage, StaleReason.Malformed)]
    public void SystemStatusView_RefusedOrMalformedReply_IsStaleWithItsReason(Behaviour behaviour, StaleReason reason)
    {
        var (context, peer) = Context(KernelEndpoints.Status);
        peer.Behaviour = behaviour;
        var view = new SystemStatusView(context);
        view.Start();

        context.RunFor(10 * Ms);

        Assert.Equal((ViewFreshness.Stale, reason, 0L, 0), (view.Freshness, view.StaleReason, view.StaleSinceNs, view.ServiceCount));
        Assert.Equal(1, peer.Requests);
    }

    [Fact]
    public void SystemStatusView_OneRequestInFlight_EvenWhenRefreshesCouldOverlap()
    {
        var (context, peer) = Context(KernelEndpoints.Status);
        peer.Behaviour = Behaviour.Silent;
        var view = new SystemStatusView(context, new SystemStatusViewOptions(PeriodMs: 250, RequestTimeoutMs: 250));

        view.Start();
        context.RunFor(240 * Ms);
        Assert.Equal((1, true), (peer.Requests, view.IsRefreshing));
        context.RunFor(20 * Ms);

        // The refresh due at 250 ms found one in flight and let it be; its timeout then ended it.
        Assert.Equal((1, 1L, false), (peer.Requests, view.Failures, view.IsRefreshing));
        context.RunFor(250 * Ms);
        Assert.Equal(2, peer.Requests);
    }

    [Fact]
    public void SystemStatusView_NewLastFault_MakesOneStringAndBumpsTheChangeCount()
    {
        var (context, peer) = Context(KernelEndpoints.Status);
        var view = new SystemStatusView(context, new SystemStatusViewOptions(PeriodMs: 250, RequestTimeoutMs: 100));
        view.Start();
        context.RunFor(10 * Ms);
        var before = view.Service(0);

        peer.Status = 1;
        context.RunFor(250 * Ms);
        var after = view.Service(0);
        context.RunFor(250 * Ms);

        Assert.Equal(("", "reported: broken", 1), (before.LastFault, after.LastFault, after.Faults));
        Assert.Equal(before.ChangeCount + 1, after.ChangeCount);
        Assert.Equal(after.ChangeCount, view.Service(0).ChangeCount);
        Assert.Same(after.LastFault, view.Service(0).LastFault);
        Assert.Same(before.Id, view.Service(0).Id);
    }

    [Fact]
    public void SystemStatusView_OptionsOutOfRange_AreRefusedByName()
    {
        Assert.Equal("PeriodMs", Assert.Throws<ArgumentOutOfRangeException>(() => new SystemStatusViewOptions(PeriodMs: 100).Validate()).ParamName);
        Assert.Equal("PeriodMs", Assert.Throws<ArgumentOutOfRangeException>(() => new SystemStatusViewOptions(PeriodMs: 2000).Validate()).ParamName);
        Assert.Equal("RequestTimeoutMs", Assert.Throws<ArgumentOutOfRangeException>(() => new SystemStatusViewOptions(PeriodMs: 250, RequestTimeoutMs: 300).Validate()).ParamName);
        Assert.Equal("ServicesMax", Assert.Throws<ArgumentOutOfRangeException>(() => new SystemStatusViewOptions(ServicesMax: 0).Validate()).ParamName);
    }

    [Fact]
    public void SystemStatusView_MoreServicesThanItKeeps_ShowsTheFirstAndSaysSo()
    {
        var (context, _) = Context(KernelEndpoints.Status);
        var view = new SystemStatusView(context, new SystemStatusViewOptions(ServicesMax: 1));
        view.Start();

        context.RunFor(10 * Ms);

        Assert.Equal((1, true, "sensor"), (view.ServiceCount, view.Truncated, view.Service(0).Id));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.Service(1));
    }

    [Fact]
    public void SystemStatusView_SteadyRefreshes_AllocateNothing()
    {
        var (context, _) = Context(KernelEndpoints.Status);
        var view = new SystemStatusView(context, new SystemStatusViewOptions(PeriodMs: 250, RequestTimeoutMs: 100));
        view.Start();
        context.RunFor(500 * Ms);

        AllocationAssert.NoAllocations(200, iteration => context.RunFor(250 * Ms));

        Assert.True(view.Refreshes >= 200);
        Assert.Equal(ViewFreshness.Fresh, view.Freshness);
    }

    [Fact]
    public void KernelControl_ProviderSilent_TimesOutAndDropsTheLateReply()
    {
        var (context, peer) = Context(KernelEndpoints.Control);
        peer.Behaviour = Behaviour.Silent;
        var control = new KernelControl(context, timeoutMs: 100);
        var completions = new Completions();

        Assert.Equal(CallOutcome.Pending, control.RestartService("sensor", completions, 3));
        context.RunFor(99 * Ms);
        Assert.Empty(completions.All);
        context.RunFor(2 * Ms);

        Assert.Equal([(3L, CallOutcome.Timeout)], completions.All);
        Assert.Equal(0, control.Pending);
    }

    [Fact]
    public void KernelControl_MoreCallsThanItsQueue_AreBusy()
    {
        var (context, peer) = Context(KernelEndpoints.Control);
        peer.Behaviour = Behaviour.Silent;
        var control = new KernelControl(context);
        var completions = new Completions();

        var outcomes = Enumerable.Range(0, KernelControl.PendingMax + 1).Select(i => control.RestartService("sensor", completions, i)).ToList();

        Assert.All(outcomes.Take(KernelControl.PendingMax), o => Assert.Equal(CallOutcome.Pending, o));
        Assert.Equal(CallOutcome.Busy, outcomes[^1]);
        Assert.Throws<ArgumentException>(() => control.Request(KernelOperation.Summary, "sensor", completions, 0));
    }

    [Theory]
    [InlineData(KernelReplyStatus.Ok, CallOutcome.Ok)]
    [InlineData(KernelReplyStatus.Denied, CallOutcome.Denied)]
    [InlineData(KernelReplyStatus.InvalidState, CallOutcome.InvalidState)]
    [InlineData(KernelReplyStatus.NotFound, CallOutcome.NotFound)]
    [InlineData(KernelReplyStatus.UnknownOperation, CallOutcome.Failed)]
    [InlineData(KernelReplyStatus.Malformed, CallOutcome.Failed)]
    public void KernelControl_ReplyStatus_IsItsOutcome(KernelReplyStatus status, CallOutcome outcome)
    {
        var (context, peer) = Context(KernelEndpoints.Control);
        peer.Status = (byte)status;
        var control = new KernelControl(context);
        var completions = new Completions();

        control.Request(KernelOperation.Acknowledge, "sensor", completions, 11);
        context.RunFor(10 * Ms);

        Assert.Equal([(11L, outcome)], completions.All);
    }

    [Fact]
    public void KernelControl_SendingAndCompleting_AllocatesNothing()
    {
        var (context, _) = Context(KernelEndpoints.Control);
        var control = new KernelControl(context);
        var completions = new CountingCompletion();
        control.RestartService("sensor", completions, 0);
        context.RunFor(Ms);

        AllocationAssert.NoAllocations(500, iteration =>
        {
            control.RestartService("sensor", completions, iteration);
            context.RunFor(Ms);
        });

        Assert.True(completions.Ok >= 501);
    }

    [Fact]
    public void LoopsView_LoopSilent_IsStaleAndItsCommandTimesOut()
    {
        var (context, peer) = Context("tank-controller.commands");
        peer.Behaviour = Behaviour.Silent;
        var loops = new LoopsView(context, [new LoopEndpoint("tank-controller", "tank-controller.commands")], new LoopsViewOptions(PeriodMs: 250, RequestTimeoutMs: 50));
        var completions = new Completions();
        loops.Start();

        Assert.Equal(CallOutcome.Pending, loops.SetSetpoint(0, 1.2, completions, 9));
        context.RunFor(100 * Ms);

        Assert.Equal([(9L, CallOutcome.Timeout)], completions.All);
        Assert.Equal((ViewFreshness.Stale, 50 * Ms), (loops.Loop(0).Freshness, loops.Loop(0).StaleSinceNs));
    }

    [Fact]
    public void LoopsView_ReplyThatIsNotAStatus_MakesTheLoopStale()
    {
        var (context, peer) = Context("tank-controller.commands");
        peer.Status = (byte)CommandStatus.ReplyTooLarge;
        var loops = new LoopsView(context, [new LoopEndpoint("tank-controller", "tank-controller.commands")]);
        loops.Start();

        context.RunFor(10 * Ms);

        Assert.Equal(ViewFreshness.Stale, loops.Loop(0).Freshness);
        Assert.Equal(default, loops.Loop(0).Status);
    }

    [Fact]
    public void LoopEndpoint_RoutedIn_TakesEveryEndpointButTheKernels()
    {
        var spec = new FakeServiceContext(periodUs: 0).Spec with { Uses = ["kernel.status", "tank-controller.commands", "boiler", "kernel.control"] };

        Assert.Equal([new LoopEndpoint("tank-controller", "tank-controller.commands"), new LoopEndpoint("boiler", "boiler")], LoopEndpoint.RoutedIn(spec));
    }

    [Theory]
    [InlineData(CommandStatus.Ok, CallOutcome.Ok)]
    [InlineData(CommandStatus.InvalidValue, CallOutcome.InvalidValue)]
    [InlineData(CommandStatus.WrongMode, CallOutcome.InvalidState)]
    [InlineData(CommandStatus.UnknownCommand, CallOutcome.Failed)]
    [InlineData(CommandStatus.Malformed, CallOutcome.Failed)]
    [InlineData(CommandStatus.ReplyTooLarge, CallOutcome.Failed)]
    public void LoopsView_CommandStatus_IsItsOutcome(CommandStatus status, CallOutcome outcome) =>
        Assert.Equal(outcome, LoopsView.OutcomeOf(status));

    [Fact]
    public void KernelControl_IdThatDoesNotFitTheWire_IsNotFoundWithoutASend()
    {
        var (context, peer) = Context(KernelEndpoints.Control);
        var control = new KernelControl(context);
        var id = new string('ü', (KernelEndpoints.ServiceIdBytesMax / 2) + 1);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(id) > KernelEndpoints.ServiceIdBytesMax);
        Assert.Equal(CallOutcome.NotFound, control.RestartService(id, new Completions(), 0));
        context.RunFor(Ms);
        Assert.Equal(0, peer.Requests);
    }

    /// <summary>Counts Ok completions without keeping them: nothing allocated per call.</summary>
    private sealed class CountingCompletion : ICallCompletion
    {
        public int Ok { get; private set; }

        public void OnCompleted(long token, CallOutcome outcome)
        {
            if (outcome == CallOutcome.Ok)
            {
                Ok++;
            }
        }
    }
}
