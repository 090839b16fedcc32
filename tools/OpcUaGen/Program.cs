using Neokernel.Tools.OpcUaGen;

// OpcUaGen <spec dir> <output dir>: reads the OPC Foundation's normative files from <spec dir> and
// writes the generated C# of gateway/Ua/Generated into <output dir>. The output depends on the
// files alone (no clock, no machine, sorted and culture-invariant), so a rerun is byte-identical.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: OpcUaGen <spec dir> <output dir>");
    Console.Error.WriteLine("  e.g. dotnet run --project tools/OpcUaGen -c Release -- ../shared/opcua-spec gateway/Ua/Generated");
    return 2;
}

try
{
    var spec = SpecFiles.Open(args[0]);
    var output = new OutputDirectory(args[1]);
    IdentifierGenerators.WriteNodeIds(spec, output);
    IdentifierGenerators.WriteStatusCodes(spec, output);
    IdentifierGenerators.WriteAttributeIds(spec, output);
    var report = Namespace0Generator.Write(spec, output);
    Console.WriteLine(report);
    Console.WriteLine(StructureGenerator.Generate(args[0], args[1], spec.Commit));
    return 0;
}
catch (SpecException error)
{
    Console.Error.WriteLine($"OpcUaGen: {error.Message}");
    return 1;
}
