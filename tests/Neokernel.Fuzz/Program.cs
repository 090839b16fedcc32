using Neokernel.Fuzz;
using SharpFuzz;

// Neokernel.Fuzz TARGET: runs TARGET under afl-fuzz through SharpFuzz's forkserver loop, against an
// instrumented Neokernel.Fieldbus.dll (build.cake, target Fuzz). Instrumented code cannot run outside
// afl-fuzz; crashes are replayed by the test project against the normal build.
if (args.Length != 1 || !FuzzTargets.ByName.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Neokernel.Fuzz TARGET; targets: {string.Join(", ", FuzzTargets.ByName.Keys)}");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.GetBuffer().AsSpan(0, (int)copy.Length));
});
return 0;
