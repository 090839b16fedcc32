using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>The secure channel's rules on given times: issue, renew, the previous token's overlap, expiry and sequence numbers.</summary>
public sealed class SecureChannelTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Open_Issue_GrantsToken1WithTheRevisedLifetime()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);

        Assert.Null(Issue(channel, lifetimeMs: 1000));

        Assert.True(channel.IsOpen);
        Assert.Equal(new UaToken(5, 1, 1234, 10_000), channel.Current);
        Assert.Equal((long)(10_000 * 1.25 * Ms), channel.ExpiresAtNs);
    }

    [Fact]
    public void Open_WrongPolicyOrMode_IsRejectedWithItsStatus()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);

        Assert.NotNull(channel.Open(Request(SecurityTokenRequestType.Issue), 0, "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256", 5, 0, 0, out var status));
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, status);
        Assert.NotNull(channel.Open(Request(SecurityTokenRequestType.Issue, mode: MessageSecurityMode.Sign), 0, UaSecurityNone.Uri, 5, 0, 0, out status));
        Assert.Equal(StatusCodes.BadSecurityModeRejected, status);
        Assert.False(channel.IsOpen);
    }

    [Fact]
    public void Open_RenewBeforeIssueOrForAnotherChannel_IsBadSecureChannelIdInvalid()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);

        Assert.NotNull(channel.Open(Request(SecurityTokenRequestType.Renew), 5, UaSecurityNone.Uri, 5, 0, 0, out var status));
        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, status);
        Issue(channel);
        Assert.NotNull(channel.Open(Request(SecurityTokenRequestType.Renew), 6, UaSecurityNone.Uri, 9, 0, 0, out status));
        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, status);
        Assert.NotNull(channel.Open(Request(SecurityTokenRequestType.Issue), 0, UaSecurityNone.Uri, 9, 0, 0, out status));
        Assert.Equal(StatusCodes.BadRequestTypeInvalid, status);
    }

    [Fact]
    public void CheckToken_AfterRenew_AcceptsThePreviousUntilTheNewIsUsed()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);
        Issue(channel);
        Assert.Null(channel.Open(Request(SecurityTokenRequestType.Renew), 5, UaSecurityNone.Uri, 9, 100 * Ms, 0, out _));
        Assert.Equal(2u, channel.Current.TokenId);

        Assert.Null(channel.CheckToken(5, 1, 200 * Ms, out _));
        Assert.Equal(1u, channel.SendTokenId);
        Assert.Null(channel.CheckToken(5, 2, 300 * Ms, out _));
        Assert.Equal(2u, channel.SendTokenId);
        Assert.NotNull(channel.CheckToken(5, 1, 400 * Ms, out var status));
        Assert.Equal(StatusCodes.BadSecureChannelTokenUnknown, status);
    }

    [Fact]
    public void CheckToken_PastLifetimeAndGrace_IsUnknownAndAnotherChannelIsInvalid()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);
        Issue(channel, lifetimeMs: 10_000);

        Assert.Null(channel.CheckToken(5, 1, 12_500 * Ms, out _));
        Assert.NotNull(channel.CheckToken(5, 1, (12_500 * Ms) + 1, out var status));
        Assert.Equal(StatusCodes.BadSecureChannelTokenUnknown, status);
        Assert.NotNull(channel.CheckToken(6, 1, 0, out status));
        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, status);
    }

    [Fact]
    public void CheckSequence_MustBeOneMoreThanTheLast()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);

        Assert.Null(channel.CheckSequence(51, first: true, out _));
        Assert.Null(channel.CheckSequence(52, first: false, out _));
        Assert.NotNull(channel.CheckSequence(52, first: false, out var status));
        Assert.Equal(StatusCodes.BadSequenceNumberInvalid, status);
    }

    [Theory]
    [InlineData(10u, 11u, true)]
    [InlineData(10u, 12u, false)]
    [InlineData(10u, 9u, false)]
    [InlineData(uint.MaxValue, 0u, true)]
    [InlineData(uint.MaxValue - 1000, 5u, true)]
    [InlineData(uint.MaxValue - 1024, 5u, false)]
    [InlineData(uint.MaxValue - 10, 1024u, false)]
    public void IsNext_WrapsOnlyNearTheTopToBelow1024(uint last, uint next, bool expected)
    {
        Assert.Equal(expected, UaSequenceNumbers.IsNext(last, next));
    }

    [Fact]
    public void NextSendSequence_StartsAt1AndCounts()
    {
        var channel = new UaSecureChannel(UaTcpLimits.Default);

        Assert.Equal(1u, channel.NextSendSequence());
        Assert.Equal(2u, channel.NextSendSequence());
        Assert.Equal(0u, UaSequenceNumbers.After(uint.MaxValue));
    }

    private static string? Issue(UaSecureChannel channel, uint lifetimeMs = 60_000)
    {
        return channel.Open(Request(SecurityTokenRequestType.Issue, lifetimeMs), 0, UaSecurityNone.Uri, 5, 0, 1234, out _);
    }

    private static OpenSecureChannelRequest Request(SecurityTokenRequestType type, uint lifetimeMs = 60_000, MessageSecurityMode mode = MessageSecurityMode.None)
    {
        return new OpenSecureChannelRequest { RequestType = type, SecurityMode = mode, RequestedLifetime = lifetimeMs };
    }
}
