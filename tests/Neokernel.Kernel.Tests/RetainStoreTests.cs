using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// Retain records (format, checksum, every damage detected) and the kernel's store on the
/// simulated medium: restored across a service's restarts, the older slot when the newest is
/// damaged, defaults with a warning when nothing good is there, bursts written as one record,
/// denied without a retain section.
/// </summary>
public sealed class RetainStoreTests
{
    private const long Ms = 1_000_000;
    private const string StorePath = "plant/svc";

    [Fact]
    public void Crc32C_CheckValue_IsTheCastagnoliOne()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void RecordRoundTrip_AnyPayloadAndSequence_DecodesToTheSame()
    {
        Prop.ForAll(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).ToArbitrary(), ArbMap.Default.GeneratorFor<ulong>().ToArbitrary(), (payload, sequence) =>
        {
            var record = new byte[payload.Length + RetainRecord.OverheadBytes];
            var length = RetainRecord.Encode(sequence, payload, record);
            var ok = RetainRecord.TryDecode(record.AsSpan(0, length), payload.Length, out var decoded, out var range, out var problem);
            return ok && decoded == sequence && record.AsSpan(range).SequenceEqual(payload) && problem.Length == 0 && length == record.Length;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void TryDecode_EveryBitFlipAndEveryTruncation_IsRefused()
    {
        var record = RecordOf(7, "setpoint 1.25"u8);

        for (var bit = 0; bit < record.Length * 8; bit++)
        {
            var flipped = record.ToArray();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(RetainRecord.TryDecode(flipped, 64, out _, out _, out var problem), $"bit {bit} flipped was accepted");
            Assert.NotEmpty(problem);
        }

        for (var length = 0; length < record.Length; length++)
        {
            Assert.False(RetainRecord.TryDecode(record.AsSpan(0, length), 64, out _, out _, out var problem), $"a cut to {length} bytes was accepted");
            Assert.Contains("truncated", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryDecode_ProblemsNameWhatIsWrong()
    {
        var record = RecordOf(1, "abc"u8);
        var flipped = record.ToArray();
        flipped[21] ^= 0x10;
        var otherVersion = record.ToArray();
        otherVersion[4] = 9;

        Assert.False(RetainRecord.TryDecode(flipped, 64, out _, out _, out var checksum));
        Assert.False(RetainRecord.TryDecode(otherVersion, 64, out _, out _, out var version));
        Assert.False(RetainRecord.TryDecode(Encoding.ASCII.GetBytes("this is not a retain record at all"), 64, out _, out _, out var magic));
        Assert.False(RetainRecord.TryDecode(record, 2, out _, out _, out var tooLarge));

        Assert.StartsWith("checksum mismatch: CRC-32C stored 0x", checksum, StringComparison.Ordinal);
        Assert.Equal("format version 9; this runtime reads version 1", version);
        Assert.Contains("not a retain record's magic", magic, StringComparison.Ordinal);
        Assert.Contains("more than the store's bytesMax of 2", tooLarge, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewStore_IsEmptyAndWarnsNamingTheStore()
    {
        RetainRestore? restored = null;
        var (kernel, _) = Boot(c => restored = c.OpenRetainStore().Restored);

        Assert.Equal(RetainOutcome.Empty, restored!.Outcome);
        Assert.False(restored.HasValues);
        var warning = Assert.Single(kernel.Warnings);
        Assert.Equal("svc", warning.ServiceId);
        Assert.Equal("retain store sim:plant/svc holds no record yet (a new store): the service starts from its manifest's defaults", warning.Text);
        Assert.Contains(kernel.Trace.Snapshot(), e => e.Kind == TraceEventKind.Warning && kernel.Trace.NameOf(e.Object) == warning.Text);
    }

    [Fact]
    public void Save_ThenRestart_RestoresTheSnapshot()
    {
        var restores = new List<RetainRestore>();
        var (kernel, platform) = Boot(c =>
        {
            var store = c.OpenRetainStore();
            restores.Add(store.Restored);
            store.Save(Encoding.UTF8.GetBytes($"incarnation {restores.Count}"));
        });

        platform.RunUntil(1 * Ms);
        kernel.Service("svc").ReportFault("test restart");
        platform.RunUntil(500 * Ms);

        Assert.Equal(2, restores.Count);
        Assert.Equal(RetainOutcome.Restored, restores[1].Outcome);
        Assert.Equal(1UL, restores[1].Sequence);
        Assert.Equal("incarnation 1", Encoding.UTF8.GetString(restores[1].Payload.Span));
        Assert.Null(restores[1].Warning);
        Assert.Single(kernel.Warnings);
    }

    [Fact]
    public void Save_BurstInOneCallback_IsOneRecord()
    {
        IRetainStore? store = null;
        var (_, platform) = Boot(c =>
        {
            store = c.OpenRetainStore();
            for (var i = 0; i < 10; i++)
            {
                store.Save([(byte)i]);
            }
        });

        platform.RunUntil(1 * Ms);

        Assert.Equal(new RetainStoreStatus(1, 10, 1, 0, null), store!.Status);
        var slot = platform.Retained.Slot(StorePath, 0)!;
        Assert.True(RetainRecord.TryDecode(slot, 64, out _, out var payload, out _));
        Assert.Equal([9], slot[payload]);
    }

    [Fact]
    public void Save_Records_AlternateSlots_AndSequencesRise()
    {
        var platform = Seeded(RecordOf(4, "four"u8), RecordOf(5, "five"u8));
        IRetainStore? store = null;
        Boot(c => store = c.OpenRetainStore(), platform);

        store!.Save("six"u8);
        platform.RunUntil(1 * Ms);

        Assert.Equal(5UL, store.Restored.Sequence);
        Assert.True(RetainRecord.TryDecode(platform.Retained.Slot(StorePath, 0)!, 64, out var sequence, out _, out _));
        Assert.Equal(6UL, sequence);
        Assert.True(RetainRecord.TryDecode(platform.Retained.Slot(StorePath, 1)!, 64, out var kept, out _, out _));
        Assert.Equal(5UL, kept);
    }

    [Fact]
    public void Open_NewestBitFlipped_RestoresThePreviousRecordWithAWarning()
    {
        var newest = RecordOf(9, "new"u8);
        newest[22] ^= 0x04;
        var platform = Seeded(RecordOf(8, "previous"u8), newest);
        RetainRestore? restored = null;
        var (kernel, _) = Boot(c => restored = c.OpenRetainStore().Restored, platform);

        Assert.Equal(RetainOutcome.RestoredOlder, restored!.Outcome);
        Assert.Equal("previous", Encoding.UTF8.GetString(restored.Payload.Span));
        var warning = Assert.Single(kernel.Warnings).Text;
        Assert.StartsWith("retain store sim:plant/svc: retain-b.nkr: checksum mismatch", warning, StringComparison.Ordinal);
        Assert.EndsWith("restored record 8 from retain-a.nkr, which may be older than the values last saved", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewestTruncated_RestoresThePreviousRecord()
    {
        var platform = Seeded(RecordOf(3, "three"u8), RecordOf(4, "four"u8)[..10]);
        RetainRestore? restored = null;
        var (kernel, _) = Boot(c => restored = c.OpenRetainStore().Restored, platform);

        Assert.Equal(RetainOutcome.RestoredOlder, restored!.Outcome);
        Assert.Equal("three", Encoding.UTF8.GetString(restored.Payload.Span));
        Assert.Contains("retain-b.nkr: 10 bytes, shorter than a record's 24 bytes of header and checksum (truncated)", Assert.Single(kernel.Warnings).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_EverySlotCorrupt_StartsFromDefaultsWithAWarning()
    {
        var platform = Seeded(Encoding.ASCII.GetBytes("garbage garbage garbage garbage"), RecordOf(2, "two"u8)[..^1]);
        RetainRestore? restored = null;
        var (kernel, _) = Boot(c => restored = c.OpenRetainStore().Restored, platform);

        Assert.Equal(RetainOutcome.Corrupt, restored!.Outcome);
        Assert.True(restored.Payload.IsEmpty);
        var warning = Assert.Single(kernel.Warnings).Text;
        Assert.StartsWith("retain store sim:plant/svc holds no good record (retain-a.nkr: starts with 0x", warning, StringComparison.Ordinal);
        Assert.EndsWith("the service starts from its manifest's defaults", warning, StringComparison.Ordinal);
        Assert.Equal(ServiceState.Running, kernel.Service("svc").State);
    }

    [Fact]
    public void Save_LargerThanBytesMax_IsRefusedSayingTheLimit()
    {
        Exception? refused = null;
        Boot(c => refused = Record.Exception(() => c.OpenRetainStore().Save(new byte[65])));

        var exception = Assert.IsType<ArgumentException>(refused);
        Assert.StartsWith("a snapshot of 65 bytes does not fit the retain store sim:plant/svc, which takes at most 64 (retain.bytesMax in the manifest)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRetainStore_WithoutARetainSection_IsDenied()
    {
        Exception? denied = null;
        Boot(c => denied = Record.Exception(c.OpenRetainStore), retain: false);

        var exception = Assert.IsType<CapabilityDeniedException>(denied);
        Assert.Contains("add a retain section with the store's path to the manifest", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_AfterItsInstanceStopped_IsDenied_AndTheLastSaveWasWritten()
    {
        IRetainStore? store = null;
        var (kernel, platform) = Boot(c => store = c.OpenRetainStore());
        store!.Save("last words"u8);

        kernel.Shutdown();

        Assert.Throws<CapabilityDeniedException>(() => store.Save("too late"u8));
        Assert.True(RetainRecord.TryDecode(platform.Retained.Slot(StorePath, 0)!, 64, out _, out var payload, out _));
        Assert.Equal("last words", Encoding.UTF8.GetString(platform.Retained.Slot(StorePath, 0)![payload]));
    }

    [Fact]
    public void Save_WhenTheMediumFails_WarnsOnceWithItsWords()
    {
        IRetainStore? store = null;
        var (kernel, platform) = Boot(c => store = c.OpenRetainStore());
        platform.Retained.FailWrites = "ENOSPC: no space left on device";

        store!.Save("a"u8);
        platform.RunUntil(1 * Ms);
        store.Save("b"u8);
        platform.RunUntil(2 * Ms);

        Assert.Equal(2, kernel.Warnings.Count);
        Assert.Equal("retain store sim:plant/svc: 1 write(s) failed, the last with: ENOSPC: no space left on device; the values stay as last written", kernel.Warnings[1].Text);
    }

    [Fact]
    public void Discard_WarnsNamingTheRecordAndTheProblem()
    {
        var platform = Seeded(RecordOf(12, "old layout"u8), null);
        var (kernel, _) = Boot(c => c.OpenRetainStore().Discard("payload of 10 bytes, expected 88"), platform);

        Assert.Equal("retain store sim:plant/svc: the service could not use record 12: payload of 10 bytes, expected 88; it starts from its manifest's defaults", Assert.Single(kernel.Warnings).Text);
    }

    [Fact]
    public void Save_OnceWarm_AllocatesNothing()
    {
        IRetainStore? store = null;
        var (_, platform) = Boot(c => store = c.OpenRetainStore());
        var snapshot = new byte[32];
        store!.Save(snapshot);
        platform.RunUntil(1 * Ms);

        AllocationAssert.NoAllocations(1_000, i =>
        {
            snapshot[0] = (byte)i;
            store.Save(snapshot);
            platform.RunUntil(platform.NowNs + Ms);
        });
    }

    private static byte[] RecordOf(ulong sequence, ReadOnlySpan<byte> payload)
    {
        var record = new byte[payload.Length + RetainRecord.OverheadBytes];
        RetainRecord.Encode(sequence, payload, record);
        return record;
    }

    private static SimulationPlatform Seeded(byte[]? slotA, byte[]? slotB)
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        platform.Retained.SetSlot(StorePath, 0, slotA);
        platform.Retained.SetSlot(StorePath, 1, slotB);
        return platform;
    }

    /// <summary>One controller without a cyclic task whose start runs <paramref name="start"/>, with a store of 64 bytes unless <paramref name="retain"/> is false.</summary>
    private static (SystemKernel Kernel, SimulationPlatform Platform) Boot(Action<IServiceContext> start, SimulationPlatform? platform = null, bool retain = true)
    {
        var system = new TestSystem();
        var service = system.Add("svc", "test.retainer", periodUs: 0);
        service.Kind = "controller";
        service.Retain = retain ? new RetainManifest { Path = StorePath, BytesMax = 64 } : null;
        system.Catalog.Program("test.retainer", () => new DelegateService(start));
        platform ??= new SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform);
        kernel.Boot();
        return (kernel, platform);
    }
}
