using System.Globalization;
using System.Runtime.InteropServices;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Linux;
using Neokernel.Testing.Stress;

namespace Neokernel.TornRead;

/// <summary>
/// <c>neokernel-torn-read SECONDS</c>: one writer and two readers on a 64-point region in a memfd
/// mapping (the memory an isolated service shares), through the public region API. Exits 0 when
/// every copy a reader took was whole and readers took some, 1 otherwise.
/// <para>
/// What it shows under qemu-aarch64 on an x64 host: that the arm64 NativeAOT code generated for
/// the seqlock's <c>Volatile</c> and <c>Interlocked</c> operations (ldar/stlr, dmb) runs, and that
/// the protocol holds under the interleavings qemu produces. What it cannot show: qemu's TCG runs
/// the guest's threads on the x86 host's stronger (TSO) memory model, so the reorderings ARM
/// hardware makes (a payload load moving past the second sequence read) never happen here, and a
/// missing barrier would pass. That part is guarded by the kernel test that reads the barriers
/// in the seqlock's code (SeqLockTests) and would need an arm64 board to be shown by running.
/// </para>
/// </summary>
internal static class Program
{
    private const int Points = 64;
    private const int Readers = 2;

    public static int Main(string[] args)
    {
        if (args.Length != 1 || !double.TryParse(args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds is <= 0 or > 600)
        {
            Console.Error.WriteLine("usage: neokernel-torn-read SECONDS (0 < SECONDS <= 600)");
            return 2;
        }

        var names = Enumerable.Range(0, Points).Select(i => $"p{i}").ToArray();
        using var memory = MemfdRegionMemory.Create("torn-read", Region.BytesFor(Points));
        var writer = new MappedRegion("torn-read", names, memory);
        var reader = new MappedRegion("torn-read", names, memory);
        var outcome = TornReadStress.Run(
            Points,
            k =>
            {
                for (var i = 0; i < Points; i++)
                {
                    writer.Set(i, k, Quality.Good, k);
                }

                writer.Publish();
            },
            reader.TryRead,
            Readers,
            TimeSpan.FromSeconds(seconds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"torn-read {RuntimeInformation.ProcessArchitecture}: {outcome.Publishes} publishes, {outcome.Reads} reads, {outcome.Torn} torn"));
        return outcome.Torn == 0 && outcome.Reads > 0 && outcome.Publishes > 0 ? 0 : 1;
    }
}
