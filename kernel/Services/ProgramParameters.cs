using System.Collections.Immutable;
using System.Globalization;

namespace Neokernel.Kernel.Services;

/// <summary>The type of a program parameter. Names of regions, points, endpoints and devices are strings.</summary>
public enum ParameterType
{
    Number,
    Integer,
    String,
    Boolean,
}

/// <summary>One parameter's value, parsed once when the manifest was validated.</summary>
public sealed record ParameterValue(ParameterType Type, string Text, double Number, long Integer, bool Boolean)
{
    public static ParameterValue OfNumber(double value) => new(ParameterType.Number, value.ToString("R", CultureInfo.InvariantCulture), value, 0, false);

    public static ParameterValue OfInteger(long value) => new(ParameterType.Integer, value.ToString(CultureInfo.InvariantCulture), value, value, false);

    public static ParameterValue OfString(string value) => new(ParameterType.String, value, 0, 0, false);

    public static ParameterValue OfBoolean(bool value) => new(ParameterType.Boolean, value ? "true" : "false", 0, 0, value);
}

/// <summary>
/// What a program says about one of its parameters: type, unit, default, range, whether it is
/// required, and a line for people. <c>validate</c>, <c>programs</c> and the JSON Schema all read
/// it, so a wrong value is caught before start, where it is written.
/// </summary>
public sealed record ParameterDeclaration(string Name, ParameterType Type, string Description)
{
    /// <summary>The unit, as people write it (<c>m</c>, <c>%/s</c>); null for none.</summary>
    public string? Unit { get; init; }

    /// <summary>A required parameter has no default: the manifest must give it.</summary>
    public bool Required { get; init; }

    /// <summary>The smallest allowed value of a number or integer, inclusive.</summary>
    public double? Min { get; init; }

    /// <summary>The largest allowed value of a number or integer, inclusive.</summary>
    public double? Max { get; init; }

    /// <summary>The value when the manifest does not give one; null when required.</summary>
    public ParameterValue? Default { get; init; }

    public static ParameterDeclaration Number(string name, string description, double defaultValue, string? unit = null, double? min = null, double? max = null) =>
        new(name, ParameterType.Number, description) { Unit = unit, Min = min, Max = max, Default = ParameterValue.OfNumber(defaultValue) };

    public static ParameterDeclaration Integer(string name, string description, long defaultValue, string? unit = null, long? min = null, long? max = null) =>
        new(name, ParameterType.Integer, description) { Unit = unit, Min = min, Max = max, Default = ParameterValue.OfInteger(defaultValue) };

    public static ParameterDeclaration Text(string name, string description, string defaultValue = "") =>
        new(name, ParameterType.String, description) { Default = ParameterValue.OfString(defaultValue) };

    public static ParameterDeclaration RequiredText(string name, string description) =>
        new(name, ParameterType.String, description) { Required = true };

    public static ParameterDeclaration Boolean(string name, string description, bool defaultValue) =>
        new(name, ParameterType.Boolean, description) { Default = ParameterValue.OfBoolean(defaultValue) };

    /// <summary>The type as manifests and the schema name it.</summary>
    public string TypeWord => Type switch
    {
        ParameterType.Number => "number",
        ParameterType.Integer => "integer",
        ParameterType.Boolean => "boolean",
        _ => "string",
    };

    /// <summary>The range as text, <c>0..100</c>, <c>0 or more</c>; empty when unbounded.</summary>
    public string RangeText => (Min, Max) switch
    {
        ({ } min, { } max) => $"{Inv(min)}..{Inv(max)}",
        ({ } min, null) => $"{Inv(min)} or more",
        (null, { } max) => $"{Inv(max)} or less",
        _ => "",
    };

    /// <summary>What a manifest may write, for error messages: <c>a number in 0..100 %</c>.</summary>
    public string Allowed
    {
        get
        {
            var range = RangeText.Length == 0 ? "" : " in " + RangeText;
            var unit = Unit is null ? "" : " " + Unit;
            return Type switch
            {
                ParameterType.Number => $"a number{range}{unit}",
                ParameterType.Integer => $"an integer{range}{unit}",
                ParameterType.Boolean => "true or false",
                _ => "text",
            };
        }
    }

    /// <summary>Reads one value as written; false, with the problem in words, if it has the wrong type or is out of range.</summary>
    public bool TryRead(string text, out ParameterValue value, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = "";
        switch (Type)
        {
            case ParameterType.Number when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number):
                value = ParameterValue.OfNumber(number);
                return InRange(number, text, ref problem);
            case ParameterType.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer):
                value = ParameterValue.OfInteger(integer);
                return InRange(integer, text, ref problem);
            case ParameterType.Boolean when text is "true" or "false":
                value = ParameterValue.OfBoolean(text == "true");
                return true;
            case ParameterType.String:
                value = ParameterValue.OfString(text);
                return true;
            default:
                value = ParameterValue.OfString(text);
                problem = Type == ParameterType.Integer ? $"'{text}' is not an integer" : $"'{text}' is not {(Type == ParameterType.Number ? "a number" : "true or false")}";
                return false;
        }
    }

    private bool InRange(double value, string text, ref string problem)
    {
        if ((Min is { } min && value < min) || (Max is { } max && value > max))
        {
            problem = $"{text} is out of range";
            return false;
        }

        return true;
    }

    private static string Inv(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// A table a program declares: a list of rows, each row typed against <see cref="Columns"/> as
/// parameters are (a driver's poll groups, a gateway's node map). Every row is checked by
/// <c>validate</c>, so a program reads its tables at start without parsing anything.
/// </summary>
public sealed record TableDeclaration(string Name, string Description, IReadOnlyList<ParameterDeclaration> Columns)
{
    /// <summary>The most rows any table may have, whatever a program declares: tables travel in a bounded spec.</summary>
    public const int RowsLimit = 1_024;

    /// <summary>The fewest rows the manifest must write.</summary>
    public int RowsMin { get; init; }

    /// <summary>The most rows the manifest may write, as the program declares it.</summary>
    public int RowsMax { get; init; } = 256;

    /// <summary>The most rows actually allowed: <see cref="RowsMax"/>, never beyond <see cref="RowsLimit"/>.</summary>
    public int RowsAllowed => Math.Min(RowsMax, RowsLimit);

    /// <summary>
    /// Whether a row may have columns beyond <see cref="Columns"/>: those are kept as text, as
    /// written, for the program's own <see cref="ProgramDescriptor.Check"/> to judge (a block
    /// network's rows, whose columns are the pins and parameters of each row's block type).
    /// Declared columns are typed and checked as always.
    /// </summary>
    public bool OtherColumns { get; init; }

    public ParameterDeclaration? FindColumn(string name)
    {
        foreach (var column in Columns)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        return null;
    }
}

/// <summary>
/// A program's parameters as its spec holds them: every declared parameter with its typed value
/// (the manifest's or the default), immutable. Reading one never parses, so nothing that
/// <c>validate</c> accepted can fail at start. Asking for an undeclared name or the wrong type is
/// a bug in the program and throws <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class ProgramParameters
{
    private static readonly ImmutableDictionary<string, ImmutableArray<ProgramParameters>> NoTables =
        ImmutableDictionary.Create<string, ImmutableArray<ProgramParameters>>(StringComparer.Ordinal);

    private static readonly Dictionary<string, List<Dictionary<string, string>>> EmptyTableTexts = [];

    private readonly ImmutableDictionary<string, ParameterValue> values;
    private readonly ImmutableHashSet<string> given;
    private readonly ImmutableDictionary<string, ImmutableArray<ProgramParameters>> tables;

    private ProgramParameters(ImmutableDictionary<string, ParameterValue> values, ImmutableHashSet<string> given, ImmutableDictionary<string, ImmutableArray<ProgramParameters>>? tables = null)
    {
        this.values = values;
        this.given = given;
        this.tables = tables ?? NoTables;
    }

    public static ProgramParameters Empty { get; } = new(ImmutableDictionary<string, ParameterValue>.Empty, []);

    /// <summary>Every declared table with its rows (an empty list for a table the manifest left out); each row reads like parameters.</summary>
    public IReadOnlyDictionary<string, ImmutableArray<ProgramParameters>> Tables => tables;

    /// <summary>The rows of a declared table, in manifest order.</summary>
    public ImmutableArray<ProgramParameters> Table(string name) =>
        tables.TryGetValue(name, out var rows)
            ? rows
            : throw new InvalidOperationException($"table '{name}' is not declared by the program; declare it in its ProgramDescriptor");

    /// <summary>Every parameter with its value, the defaults included.</summary>
    public IReadOnlyDictionary<string, ParameterValue> All => values;

    /// <summary>True if the manifest wrote this parameter (rather than leaving it to its default).</summary>
    public bool IsGiven(string name) => given.Contains(name);

    public double Number(string name) => Get(name, ParameterType.Number).Number;

    public long Integer(string name) => Get(name, ParameterType.Integer).Integer;

    public string Text(string name) => Get(name, ParameterType.String).Text;

    public bool Boolean(string name) => Get(name, ParameterType.Boolean).Boolean;

    /// <summary>A copy with one declared parameter set to <paramref name="value"/> of its declared type: for tests and tools that vary a validated spec.</summary>
    public ProgramParameters With(string name, ParameterValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var current = Get(name, value.Type);
        return current == value ? this : new ProgramParameters(values.SetItem(name, value), given.Add(name), tables);
    }

    /// <summary>
    /// Types the values written in a manifest against the program's declarations and fills in the
    /// defaults. The validator has reported every problem this can find; for a manifest built in
    /// code, the first one throws a <see cref="ServiceConfigurationException"/>.
    /// </summary>
    public static ProgramParameters Parse(string serviceId, IReadOnlyList<ParameterDeclaration> declarations, IReadOnlyDictionary<string, string> texts) =>
        Parse(serviceId, declarations, texts, [], EmptyTableTexts);

    /// <summary>
    /// Parameters and tables together: each table row is typed against its table's columns the
    /// same way, and a declared table the manifest leaves out has no rows.
    /// </summary>
    public static ProgramParameters Parse(
        string serviceId,
        IReadOnlyList<ParameterDeclaration> declarations,
        IReadOnlyDictionary<string, string> texts,
        IReadOnlyList<TableDeclaration> tableDeclarations,
        IReadOnlyDictionary<string, List<Dictionary<string, string>>> tableTexts)
    {
        ArgumentNullException.ThrowIfNull(declarations);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(tableDeclarations);
        ArgumentNullException.ThrowIfNull(tableTexts);
        var parameters = ParseValues(serviceId, declarations, texts, "");
        var tables = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ProgramParameters>>(StringComparer.Ordinal);
        foreach (var name in tableTexts.Keys)
        {
            if (!tableDeclarations.Any(d => d.Name == name))
            {
                throw new ServiceConfigurationException(serviceId, $"tables.{name}", $"unknown table; the program declares: {(tableDeclarations.Count == 0 ? "no tables" : string.Join(", ", tableDeclarations.Select(d => d.Name)))}");
            }
        }

        foreach (var table in tableDeclarations)
        {
            var rows = tableTexts.GetValueOrDefault(table.Name) ?? [];
            if (rows.Count < table.RowsMin || rows.Count > table.RowsAllowed)
            {
                throw new ServiceConfigurationException(serviceId, $"tables.{table.Name}", $"has {rows.Count} rows; allowed: {table.RowsMin}..{table.RowsAllowed}");
            }

            tables[table.Name] = [.. rows.Select((row, i) => ParseValues(serviceId, table.Columns, row, $"tables.{table.Name}[{i}].", table.OtherColumns))];
        }

        return new ProgramParameters(parameters.values, parameters.given, tables.ToImmutable());
    }

    private static ProgramParameters ParseValues(string serviceId, IReadOnlyList<ParameterDeclaration> declarations, IReadOnlyDictionary<string, string> texts, string prefix, bool otherColumns = false)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, ParameterValue>(StringComparer.Ordinal);
        foreach (var (name, text) in texts)
        {
            if (declarations.Any(d => d.Name == name))
            {
                continue;
            }

            if (otherColumns)
            {
                builder[name] = ParameterValue.OfString(text);
            }
            else
            {
                throw new ServiceConfigurationException(serviceId, prefix + name, $"unknown {(prefix.Length == 0 ? "parameter" : "column")}; the program declares: {string.Join(", ", declarations.Select(d => d.Name))}");
            }
        }

        foreach (var declaration in declarations)
        {
            builder[declaration.Name] = Value(serviceId, declaration, texts, prefix);
        }

        return new ProgramParameters(builder.ToImmutable(), [.. texts.Keys]);
    }

    /// <summary>Parameters already typed elsewhere (a spec decoded from a host's grants): <paramref name="given"/> must name only keys of <paramref name="values"/>.</summary>
    internal static ProgramParameters FromValues(ImmutableDictionary<string, ParameterValue> values, ImmutableHashSet<string> given, ImmutableDictionary<string, ImmutableArray<ProgramParameters>>? tables = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(given);
        if (!given.IsSubsetOf(values.Keys))
        {
            throw new ArgumentException("every given parameter must have a value", nameof(given));
        }

        return new ProgramParameters(values, given, tables);
    }

    /// <summary>Parameters of a program nobody declared (no catalog at hand): every value a string, as written.</summary>
    public static ProgramParameters Untyped(IReadOnlyDictionary<string, string> texts, IReadOnlyDictionary<string, List<Dictionary<string, string>>>? tableTexts = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var builder = ImmutableDictionary.CreateBuilder<string, ParameterValue>(StringComparer.Ordinal);
        foreach (var (name, text) in texts)
        {
            builder[name] = ParameterValue.OfString(text);
        }

        var tables = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ProgramParameters>>(StringComparer.Ordinal);
        foreach (var (name, rows) in tableTexts ?? EmptyTableTexts)
        {
            tables[name] = [.. rows.Select(row => Untyped(row))];
        }

        return new ProgramParameters(builder.ToImmutable(), [.. texts.Keys], tables.ToImmutable());
    }

    private static ParameterValue Value(string serviceId, ParameterDeclaration declaration, IReadOnlyDictionary<string, string> texts, string prefix)
    {
        if (!texts.TryGetValue(declaration.Name, out var text))
        {
            return declaration.Default ?? throw new ServiceConfigurationException(serviceId, prefix + declaration.Name, "is required");
        }

        if (!declaration.TryRead(text, out var value, out var problem))
        {
            throw new ServiceConfigurationException(serviceId, prefix + declaration.Name, $"{problem}; allowed: {declaration.Allowed}");
        }

        return value;
    }

    private ParameterValue Get(string name, ParameterType type)
    {
        if (!values.TryGetValue(name, out var value))
        {
            throw new InvalidOperationException($"parameter '{name}' is not declared by the program; declare it in its ProgramDescriptor");
        }

        if (value.Type != type)
        {
            throw new InvalidOperationException($"parameter '{name}' is declared as {value.Type}, not {type}");
        }

        return value;
    }
}
