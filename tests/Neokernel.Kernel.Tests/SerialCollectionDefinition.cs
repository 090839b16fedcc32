using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>Tests that measure timing run alone, after the parallel ones.</summary>
[CollectionDefinition(SerialCollection.Name, DisableParallelization = true)]
public sealed class SerialCollectionDefinition
{
}
