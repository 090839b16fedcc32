using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>Tests that measure timing or start processes run alone, after the parallel ones.</summary>
[CollectionDefinition(SerialCollection.Name, DisableParallelization = true)]
public sealed class SerialCollectionDefinition
{
}
