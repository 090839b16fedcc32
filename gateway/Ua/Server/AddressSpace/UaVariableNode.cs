namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Where a Variable's value comes from: a region point, a loop's setpoint, the server's clock. The
/// address space keeps no copy, so a read always sees the source's current value and quality. Both
/// calls run on the gateway's event loop and must not block; the user's role is passed so that a
/// source can refuse a write (or hide a value) by role beyond the node's own AccessLevel check.
/// </summary>
public interface IUaValueSource
{
    /// <summary>The current value with its status and source timestamp; <paramref name="nowTicks"/> is the server's time as UA DateTime.</summary>
    DataValue Read(UaVariableNode variable, UserRole role, long nowTicks);

    /// <summary>Takes <paramref name="value"/> (already checked against the variable's DataType and ValueRank) or says why not.</summary>
    StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role);

    /// <summary>
    /// The Write service's entry: starts the write and completes it, at once or later on the same
    /// loop, exactly once. By default it is <see cref="Write"/>, completed at once; a source whose
    /// write is a command to another service (a loop's setpoint) overrides it and completes when
    /// that service answered, so the client's Good means done, not sent.
    /// </summary>
    void BeginWrite(UaVariableNode variable, in DataValue value, UserRole role, WriteCompletion completion) =>
        completion.Complete(Write(variable, value, role));
}

/// <summary>Completes one value of a Write request: its StatusCode, once. Copy it freely; a second completion is ignored.</summary>
public readonly struct WriteCompletion
{
    private readonly PendingWrite pending;
    private readonly int index;

    internal WriteCompletion(PendingWrite pending, int index)
    {
        this.pending = pending;
        this.index = index;
    }

    public void Complete(StatusCode status) => pending.Complete(index, status);
}

/// <summary>A value kept in the node itself: namespace 0's constants, a test's variables, a configuration value.</summary>
public sealed class StoredValue(DataValue value) : IUaValueSource
{
    public DataValue Value { get; private set; } = value;

    public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks) => Value;

    public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role)
    {
        Value = value;
        return StatusCode.Good;
    }
}

/// <summary>The bits of AccessLevel and UserAccessLevel (Part 3 §8.57) the gateway uses.</summary>
public static class AccessLevels
{
    public const byte CurrentRead = 0x01;
    public const byte CurrentWrite = 0x02;
    public const byte ReadWrite = CurrentRead | CurrentWrite;
}

/// <summary>
/// A Variable (Part 3 §5.6). Its value comes from <see cref="Source"/>. Writing needs the
/// CurrentWrite bit of <see cref="AccessLevel"/> and a role of at least <see cref="WriteRole"/>;
/// UserAccessLevel is AccessLevel without CurrentWrite for a user below that role.
/// </summary>
public sealed class UaVariableNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName, IUaValueSource source, int referenceCapacity = 2)
    : UaNode(nodeId, browseName, displayName, referenceCapacity)
{
    public override NodeClass NodeClass => NodeClass.Variable;

    public IUaValueSource Source { get; set; } = source;

    /// <summary>The DataType's node (namespace 0's BaseDataType when any value goes).</summary>
    public required UaTypeNode DataType { get; init; }

    /// <summary>-1 scalar, 1 one-dimensional array, 0 one or more dimensions, -2 any, -3 scalar or 1-D (Part 3 §5.6.2).</summary>
    public int ValueRank { get; init; } = -1;

    public uint[]? ArrayDimensions { get; init; }

    public byte AccessLevel { get; init; } = AccessLevels.CurrentRead;

    /// <summary>The least role that may write the value (when AccessLevel allows writing at all).</summary>
    public UserRole WriteRole { get; init; } = UserRole.Operator;

    /// <summary>How fast the value may change, in milliseconds: 0 continuously, -1 unknown (Part 3 §5.6.2).</summary>
    public double MinimumSamplingInterval { get; init; } = -1;

    public bool Historizing { get; init; }

    public byte UserAccessLevel(UserRole role) => role >= WriteRole ? AccessLevel : (byte)(AccessLevel & ~AccessLevels.CurrentWrite);

    public DataValue ReadValue(UserRole role, long nowTicks) => Source.Read(this, role, nowTicks);

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        switch (attribute)
        {
            case AttributeId.DataType:
                value = new Variant(DataType.NodeId);
                return true;
            case AttributeId.ValueRank:
                value = new Variant(ValueRank);
                return true;
            case AttributeId.ArrayDimensions:
                return VariableAttributes.TryReadArrayDimensions(ArrayDimensions, out value);
            case AttributeId.AccessLevel:
                value = new Variant(AccessLevel);
                return true;
            case AttributeId.UserAccessLevel:
                value = new Variant(UserAccessLevel(role));
                return true;
            case AttributeId.MinimumSamplingInterval:
                value = new Variant(MinimumSamplingInterval);
                return true;
            case AttributeId.Historizing:
                value = new Variant(Historizing);
                return true;
            default:
                return base.TryReadAttribute(attribute, role, out value);
        }
    }
}

/// <summary>A VariableType (Part 3 §5.6.5): the type's default value, DataType, ValueRank and ArrayDimensions.</summary>
public sealed class UaVariableTypeNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName)
    : UaTypeNode(nodeId, NodeClass.VariableType, browseName, displayName, 4)
{
    /// <summary>The type's default value; Null when it has none (Read then answers a null Value, which Part 3 allows).</summary>
    public Variant Value { get; init; }

    public NodeId DataType { get; init; }

    public int ValueRank { get; init; } = -2;

    public uint[]? ArrayDimensions { get; init; }

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        switch (attribute)
        {
            case AttributeId.Value:
                value = Value;
                return true;
            case AttributeId.DataType:
                value = new Variant(DataType);
                return true;
            case AttributeId.ValueRank:
                value = new Variant(ValueRank);
                return true;
            case AttributeId.ArrayDimensions:
                return VariableAttributes.TryReadArrayDimensions(ArrayDimensions, out value);
            default:
                return base.TryReadAttribute(attribute, role, out value);
        }
    }
}

internal static class VariableAttributes
{
    /// <summary>ArrayDimensions is optional (Part 3 §5.6.2): a node without it answers BadAttributeIdInvalid.</summary>
    public static bool TryReadArrayDimensions(uint[]? dimensions, out Variant value)
    {
        value = dimensions is null ? Variant.Null : Variant.FromArray(BuiltInType.UInt32, dimensions);
        return dimensions is not null;
    }
}
