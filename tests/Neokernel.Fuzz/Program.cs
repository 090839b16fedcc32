using Neokernel.Fuzz;
using SharpFuzz;

// neokernel-fuzz TARGET            run under afl-fuzz (SharpFuzz's forkserver loop)
// neokernel-fuzz TARGET FILE...    run the target once on each file, outside afl (to replay a crash)
if (args.Length == 0 || !FuzzTargets.ByName.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Neokernel.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.ByName.Keys)}");
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        target(File.ReadAllBytes(file));
        Console.WriteLine($"{args[0]}: {file} ok");
    }
    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.GetBuffer().AsSpan(0, (int)copy.Length));
});
return 0;
