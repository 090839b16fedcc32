namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// The order of a multi-register value's 16-bit words. Each register is big-endian on the wire;
/// the spec says nothing about values wider than one register, and devices differ, so it is chosen
/// per point: <see cref="HighFirst"/> ("ABCD", the common default, the most significant word at the
/// lowest address) or <see cref="LowFirst"/> ("CDAB", many devices' swapped layout).
/// </summary>
public enum WordOrder : byte
{
    HighFirst,
    LowFirst,
}
