using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux.Retain;

namespace Neokernel.Rt.Tests.Retain;

/// <summary>
/// A store's slots as files: written whole through the directory's descriptor, read back by a
/// later process; a crash between the temporary file and the rename leaves the slot's previous
/// record; a truncated or bit-flipped file is read as it is, for the kernel to refuse.
/// </summary>
public sealed class DirectoryRetainMediumTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Write_ThenANewMedium_ReadsTheRecordBack()
    {
        var (storage, spec) = Store();
        using (var medium = (DirectoryRetainMedium)storage.Open("svc", spec))
        {
            medium.Write(0, Record(1, "one"u8));
            Assert.True(medium.WaitIdle(Wait));
            Assert.Equal(new RetainMediumStatus(1, 0, null), medium.Status);
        }

        using var again = storage.Open("svc", spec);
        Assert.Equal("one", Payload(again, 0, out var sequence));
        Assert.Equal(1UL, sequence);
        Assert.Equal(RetainSlotState.Missing, again.Read(1, new byte[64]).State);
        Assert.False(File.Exists(Path.Combine(storage.DirectoryOf(spec), DirectoryRetainMedium.TemporaryName)) && new FileInfo(Path.Combine(storage.DirectoryOf(spec), DirectoryRetainMedium.TemporaryName)).Length > 0);
    }

    [Fact]
    public void CrashBetweenTemporaryFileAndRename_TheSlotKeepsItsPreviousRecord()
    {
        var (storage, spec) = Store();
        using (var medium = (DirectoryRetainMedium)storage.Open("svc", spec))
        {
            medium.Write(0, Record(1, "previous"u8));
            Assert.True(medium.WaitIdle(Wait));
            medium.CrashBeforeRename = () => true;
            medium.Write(0, Record(2, "torn"u8));
            Assert.True(medium.WaitIdle(Wait));
        }

        var temporary = Path.Combine(storage.DirectoryOf(spec), DirectoryRetainMedium.TemporaryName);
        Assert.True(File.Exists(temporary));
        using var again = storage.Open("svc", spec);
        Assert.Equal("previous", Payload(again, 0, out var sequence));
        Assert.Equal(1UL, sequence);
    }

    [Fact]
    public void TruncatedOrBitFlippedFile_IsReadAsItIs_AndTheKernelRefusesIt()
    {
        var (storage, spec) = Store();
        using (var medium = (DirectoryRetainMedium)storage.Open("svc", spec))
        {
            medium.Write(0, Record(5, "five"u8));
            Assert.True(medium.WaitIdle(Wait));
            medium.Write(1, Record(6, "six"u8));
            Assert.True(medium.WaitIdle(Wait));
        }

        var directory = storage.DirectoryOf(spec);
        var a = Path.Combine(directory, RetainRecord.SlotNames[0]);
        File.WriteAllBytes(a, File.ReadAllBytes(a)[..10]);
        var b = Path.Combine(directory, RetainRecord.SlotNames[1]);
        var flipped = File.ReadAllBytes(b);
        flipped[21] ^= 0x01;
        File.WriteAllBytes(b, flipped);

        using var again = storage.Open("svc", spec);
        var buffer = new byte[64 + RetainRecord.OverheadBytes];
        var read = again.Read(0, buffer);
        Assert.Equal(new RetainSlotRead(RetainSlotState.Read, 10), read);
        Assert.False(RetainRecord.TryDecode(buffer.AsSpan(0, read.Length), 64, out _, out _, out var truncated));
        Assert.Contains("truncated", truncated, StringComparison.Ordinal);
        read = again.Read(1, buffer);
        Assert.False(RetainRecord.TryDecode(buffer.AsSpan(0, read.Length), 64, out _, out _, out var checksum));
        Assert.StartsWith("checksum mismatch", checksum, StringComparison.Ordinal);
        Assert.Equal(RetainSlotState.TooLarge, again.Read(1, new byte[4]).State);
    }

    [Fact]
    public void Open_WhereNoDirectoryCanBeMade_SaysWhichStoreAndHowToFix()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("neokernel-retain-").FullName, "a-file");
        File.WriteAllText(file, "");
        var storage = new LinuxRetainStorage(file);

        var exception = Assert.Throws<RetainStorageException>(() => storage.Open("svc", new RetainSpec("svc", 64)));

        Assert.StartsWith($"service 'svc': retain store {file}/svc cannot be made: ", exception.Message, StringComparison.Ordinal);
        Assert.EndsWith("give neokernel run --state-dir a directory the kernel may write, or an absolute retain.path that is", exception.Message, StringComparison.Ordinal);
    }

    private static (LinuxRetainStorage Storage, RetainSpec Spec) Store() =>
        (new LinuxRetainStorage(Directory.CreateTempSubdirectory("neokernel-retain-").FullName), new RetainSpec("plant/svc", 64));

    private static byte[] Record(ulong sequence, ReadOnlySpan<byte> payload)
    {
        var record = new byte[payload.Length + RetainRecord.OverheadBytes];
        RetainRecord.Encode(sequence, payload, record);
        return record;
    }

    private static string Payload(IRetainMedium medium, int slot, out ulong sequence)
    {
        var buffer = new byte[64 + RetainRecord.OverheadBytes];
        var read = medium.Read(slot, buffer);
        Assert.Equal(RetainSlotState.Read, read.State);
        Assert.True(RetainRecord.TryDecode(buffer.AsSpan(0, read.Length), 64, out sequence, out var payload, out var problem), problem);
        return System.Text.Encoding.UTF8.GetString(buffer.AsSpan(payload));
    }
}
