namespace Neokernel.Gateway.Ua;

/// <summary>
/// The class of a node (Part 3 §8.29). The values are the bit mask of the NodeClassMask that Browse
/// filters with, so a class tests against a mask with one AND.
/// </summary>
public enum NodeClass
{
    Unspecified = 0,
    Object = 1,
    Variable = 2,
    Method = 4,
    ObjectType = 8,
    VariableType = 16,
    ReferenceType = 32,
    DataType = 64,
    View = 128,
}
