namespace Neokernel.Controllers.Blocks;

public enum BlockNetworkErrorKind
{
    UnknownBlockType,
    DuplicateName,
    UnknownParameter,
    DuplicateParameter,
    InvalidParameter,
    UnknownPin,
    DuplicateWire,
    UnknownBlock,
    UnknownExternalInput,
    TypeMismatch,
    AlgebraicLoop,
    TooMany,
}

/// <summary>
/// One thing wrong with a block network, said where it is: the block instance and its pin or
/// parameter, or the external input or output, so that <c>validate</c> can put the manifest's
/// file:line:col in front of <see cref="Message"/>. <see cref="Message"/> stands on its own too.
/// </summary>
/// <param name="Kind">What is wrong, for tools that sort or count errors.</param>
/// <param name="BlockName">The block instance the error is about, or null for an external output.</param>
/// <param name="Pin">The input pin or parameter of <paramref name="BlockName"/>, or null for the block as a whole.</param>
/// <param name="ExternalName">The external input or output involved, if any.</param>
/// <param name="Message">The error in words, naming what is wrong and what is allowed.</param>
public sealed record BlockNetworkError(BlockNetworkErrorKind Kind, string? BlockName, string? Pin, string? ExternalName, string Message)
{
    public override string ToString() => Message;
}
