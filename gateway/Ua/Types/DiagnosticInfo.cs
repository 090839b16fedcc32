namespace Neokernel.Gateway.Ua;

/// <summary>
/// Vendor diagnostics for a result (Part 4 §7.12): indexes into the response's string table, an
/// additional text, and an inner status and inner diagnostics, nested at most
/// <see cref="UaCodecLimits.NestingDepthMax"/> deep on decoding. Every field is optional on the wire.
/// </summary>
public sealed record DiagnosticInfo
{
    public int? SymbolicId { get; init; }

    public int? NamespaceUri { get; init; }

    public int? Locale { get; init; }

    public int? LocalizedText { get; init; }

    public string? AdditionalInfo { get; init; }

    public StatusCode? InnerStatusCode { get; init; }

    public DiagnosticInfo? InnerDiagnosticInfo { get; init; }
}
