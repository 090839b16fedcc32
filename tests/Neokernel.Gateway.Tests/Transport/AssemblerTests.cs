using Neokernel.Gateway.Ua.Transport;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>The message assembler: C chunks join, F completes, A discards, and the size and chunk-count limits refuse once.</summary>
public sealed class AssemblerTests
{
    [Fact]
    public void Append_ThreeChunks_JoinIntoOneBody()
    {
        var assembler = new UaMessageAssembler(4, 1024, 8);

        Assert.Equal(AssemblyStatus.Incomplete, assembler.Append(UaChunkType.Intermediate, 7, [1, 2, 3]));
        Assert.Equal(AssemblyStatus.Incomplete, assembler.Append(UaChunkType.Intermediate, 7, [4, 5]));
        Assert.Equal(AssemblyStatus.Message, assembler.Append(UaChunkType.Final, 7, [6]));

        Assert.Equal([1, 2, 3, 4, 5, 6], assembler.Body.ToArray());
        Assert.Equal(7u, assembler.RequestId);
        Assert.False(assembler.InProgress);
    }

    [Fact]
    public void Append_AbortChunk_DiscardsTheMessageAndTheNextStartsClean()
    {
        var assembler = new UaMessageAssembler(16, 1024, 8);
        assembler.Append(UaChunkType.Intermediate, 7, [1, 2, 3]);

        Assert.Equal(AssemblyStatus.Aborted, assembler.Append(UaChunkType.Abort, 7, [0, 0, 0x80, 0x80, 0, 0, 0, 0]));
        Assert.Equal(AssemblyStatus.Message, assembler.Append(UaChunkType.Final, 8, [9]));
        Assert.Equal([9], assembler.Body.ToArray());
    }

    [Fact]
    public void Append_OverMaxMessageSize_IsTooLargeOnceThenDropsTheRest()
    {
        var assembler = new UaMessageAssembler(8, 10, 8);

        Assert.Equal(AssemblyStatus.Incomplete, assembler.Append(UaChunkType.Intermediate, 3, [1, 2, 3, 4, 5, 6]));
        Assert.Equal(AssemblyStatus.TooLarge, assembler.Append(UaChunkType.Intermediate, 3, [7, 8, 9, 10, 11, 12]));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], assembler.Body.ToArray());
        Assert.Equal(AssemblyStatus.Incomplete, assembler.Append(UaChunkType.Intermediate, 3, [13]));
        Assert.Equal(AssemblyStatus.Incomplete, assembler.Append(UaChunkType.Final, 3, [14]));
        Assert.False(assembler.InProgress);
        Assert.Equal(AssemblyStatus.Message, assembler.Append(UaChunkType.Final, 4, [1]));
    }

    [Fact]
    public void Append_OverMaxChunkCount_IsTooLarge()
    {
        var assembler = new UaMessageAssembler(8, 1024, 2);

        assembler.Append(UaChunkType.Intermediate, 1, [1]);
        assembler.Append(UaChunkType.Intermediate, 1, [2]);

        Assert.Equal(AssemblyStatus.TooLarge, assembler.Append(UaChunkType.Final, 1, [3]));
        Assert.False(assembler.InProgress);
    }

    [Fact]
    public void Append_AnotherRequestBeforeTheFinalChunk_IsInterleaved()
    {
        var assembler = new UaMessageAssembler(8, 1024, 8);
        assembler.Append(UaChunkType.Intermediate, 1, [1]);

        Assert.Equal(AssemblyStatus.Interleaved, assembler.Append(UaChunkType.Final, 2, [2]));
    }

    [Fact]
    public void Append_GrowsByDoublingUpToTheLimit()
    {
        var assembler = new UaMessageAssembler(4, 100, 64);
        for (var index = 0; index < 9; index++)
        {
            Assert.Equal(AssemblyStatus.Incomplete, assembler.Append(UaChunkType.Intermediate, 1, new byte[11]));
        }

        Assert.Equal(AssemblyStatus.Message, assembler.Append(UaChunkType.Final, 1, new byte[1]));
        Assert.Equal(100, assembler.Body.Length);
    }
}
