namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// The status codes the transport answers with (Part 6 Table 55 and Part 4 Table 182), named as
/// the normative StatusCode.csv names them. Kept beside the transport so that it depends on no
/// other part of the stack than the codec.
/// </summary>
public static class UaTcpStatus
{
    public const uint BadTcpServerTooBusy = 0x807D_0000;
    public const uint BadTcpMessageTypeInvalid = 0x807E_0000;
    public const uint BadTcpSecureChannelUnknown = 0x807F_0000;
    public const uint BadTcpMessageTooLarge = 0x8080_0000;
    public const uint BadTcpNotEnoughResources = 0x8081_0000;
    public const uint BadTcpInternalError = 0x8082_0000;
    public const uint BadTcpEndpointUrlInvalid = 0x8083_0000;
    public const uint BadTimeout = 0x800A_0000;
    public const uint BadDecodingError = 0x8007_0000;
    public const uint BadEncodingLimitsExceeded = 0x8008_0000;
    public const uint BadRequestTooLarge = 0x80B8_0000;
    public const uint BadResponseTooLarge = 0x80B9_0000;
    public const uint BadProtocolVersionUnsupported = 0x80BE_0000;
    public const uint BadSecurityChecksFailed = 0x8013_0000;
    public const uint BadSecureChannelIdInvalid = 0x8022_0000;
    public const uint BadSecureChannelClosed = 0x8086_0000;
    public const uint BadSecureChannelTokenUnknown = 0x8087_0000;
    public const uint BadSequenceNumberInvalid = 0x8088_0000;
    public const uint BadRequestTypeInvalid = 0x8053_0000;
    public const uint BadSecurityModeRejected = 0x8054_0000;
    public const uint BadSecurityPolicyRejected = 0x8055_0000;
}
