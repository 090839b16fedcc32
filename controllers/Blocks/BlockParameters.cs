namespace Neokernel.Controllers.Blocks;

/// <summary>One parameter as a manifest sets it, by name.</summary>
public readonly record struct ParameterSetting(string Name, BlockValue Value);

/// <summary>
/// The parameters of one block instance, checked against its type's descriptor and held in the
/// descriptor's order with every default filled in. Built on the control plane; a block reads it
/// when it is constructed and again after each retune of its tunable parameters.
/// </summary>
public sealed class BlockParameters
{
    private readonly BlockValue[] values;

    private BlockParameters(BlockDescriptor descriptor, string blockName, BlockValue[] values)
    {
        Descriptor = descriptor;
        BlockName = blockName;
        this.values = values;
    }

    public BlockDescriptor Descriptor { get; }

    public string BlockName { get; }

    /// <summary>Every parameter at its default.</summary>
    public static BlockParameters Defaults(BlockDescriptor descriptor, string blockName)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return new BlockParameters(descriptor, blockName, descriptor.Parameters.Select(p => p.Default).ToArray());
    }

    /// <summary>Checks <paramref name="settings"/> and throws an <see cref="ArgumentException"/> for the first one that is wrong.</summary>
    public static BlockParameters Create(BlockDescriptor descriptor, string blockName, params ReadOnlySpan<ParameterSetting> settings)
    {
        var errors = new List<BlockNetworkError>();
        var parameters = Resolve(descriptor, blockName, settings.ToArray(), errors);
        if (parameters is null)
        {
            throw new ArgumentException(errors[0].Message, errors[0].Pin);
        }

        return parameters;
    }

    /// <summary>
    /// Checks <paramref name="settings"/> one by one (known name, set once, right type, in range)
    /// and adds an error for each that is wrong; null when there was any.
    /// </summary>
    public static BlockParameters? Resolve(BlockDescriptor descriptor, string blockName, IReadOnlyList<ParameterSetting> settings, List<BlockNetworkError> errors)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        var errorsBefore = errors.Count;
        var values = descriptor.Parameters.Select(p => p.Default).ToArray();
        var set = new bool[values.Length];
        foreach (var setting in settings)
        {
            var index = descriptor.ParameterIndex(setting.Name);
            if (index < 0)
            {
                errors.Add(new BlockNetworkError(BlockNetworkErrorKind.UnknownParameter, blockName, setting.Name, null,
                    $"block '{blockName}' ({descriptor.TypeName}): no parameter '{setting.Name}' (its parameters: {descriptor.ParameterNames})"));
                continue;
            }

            var parameter = descriptor.Parameters[index];
            if (set[index])
            {
                errors.Add(new BlockNetworkError(BlockNetworkErrorKind.DuplicateParameter, blockName, parameter.Name, null,
                    $"block '{blockName}' ({descriptor.TypeName}): parameter {parameter.Name} is set twice"));
                continue;
            }

            set[index] = true;
            if (!parameter.Allows(setting.Value))
            {
                var kind = setting.Value.Type == parameter.Type ? BlockNetworkErrorKind.InvalidParameter : BlockNetworkErrorKind.TypeMismatch;
                errors.Add(new BlockNetworkError(kind, blockName, parameter.Name, null, Describe(descriptor, blockName, parameter, setting.Value, parameter.AllowedRange)));
                continue;
            }

            values[index] = setting.Value;
        }

        return errors.Count == errorsBefore ? new BlockParameters(descriptor, blockName, values) : null;
    }

    public BlockValue this[int index] => values[index];

    /// <summary>Replaces one value, for <see cref="Block.Retune(ReadOnlySpan{ParameterChange})"/>, which checks it first.</summary>
    internal void Set(int index, BlockValue value) => values[index] = value;

    public bool Bool(int index) => values[index].AsBool;

    public double Real(int index) => values[index].AsReal;

    public int Dint(int index) => values[index].AsDint;

    public long TimeNanoseconds(int index) => values[index].AsTimeNanoseconds;

    /// <summary>
    /// The exception for a parameter that lies in its own range but does not fit the others
    /// (a low limit above a high one): it names the block, the parameter, its value and what is allowed.
    /// </summary>
    public ArgumentException Invalid(int index, string allowed)
    {
        var parameter = Descriptor.Parameters[index];
        return new ArgumentException(Describe(Descriptor, BlockName, parameter, values[index], allowed), parameter.Name);
    }

    internal static string Describe(BlockDescriptor descriptor, string blockName, ParameterDescriptor parameter, BlockValue value, string allowed) =>
        $"block '{blockName}' ({descriptor.TypeName}): parameter {parameter.Name} = {value} ({BlockValue.TypeName(value.Type)}) is not allowed: it must be {allowed}";
}
