using System.Globalization;

namespace Neokernel.Gateway.Ua;

/// <summary>
/// An OPC UA StatusCode (Part 4 §7.39): the top two bits say Good (00), Uncertain (01) or Bad (10),
/// bits 16-29 the code, the low 16 bits info flags. The named codes are <c>StatusCodes</c>.
/// </summary>
public readonly record struct StatusCode(uint Code)
{
    private const uint SeverityMask = 0xC000_0000;

    public static StatusCode Good => default;

    public bool IsGood => (Code & SeverityMask) == 0;

    public bool IsUncertain => (Code & SeverityMask) == 0x4000_0000;

    public bool IsBad => (Code & 0x8000_0000) != 0;

    /// <summary>The code without its info bits, which is what identifies it.</summary>
    public uint CodeBits => Code & 0xFFFF_0000;

    public static implicit operator StatusCode(uint code) => new(code);

    public override string ToString() => "0x" + Code.ToString("X8", CultureInfo.InvariantCulture);
}
