using System.Globalization;
using System.Text.RegularExpressions;
using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Cli.Campaigns;

/// <summary>The three kinds of invariant a campaign checks.</summary>
internal enum InvariantKind
{
    /// <summary>Holds at every sample (or, with <c>after</c>, once its trigger has held for <c>within</c>).</summary>
    Safety,

    /// <summary>Holds from <c>within</c> after the last fault ended to the end of the run.</summary>
    Liveness,

    /// <summary>The kernel's own invariants (KernelInvariants: supervisor intensity, states, no capability escalation) and no kernel exception.</summary>
    Kernel,
}

/// <summary>One invariant of a campaign: a condition, and for a safety response its trigger and time.</summary>
internal sealed record Invariant(string Name, InvariantKind Kind, Condition? Condition, Condition? After, long WithinNs)
{
    public override string ToString() => Name;
}

/// <summary>What an operand reads: a region point (its value and quality) or a simulated device's true value.</summary>
internal sealed record Operand(string Text, string? Region, string? Point, string? DeviceUri, double Constant)
{
    public bool IsConstant => Region is null && DeviceUri is null;
}

/// <summary>The comparison a condition makes.</summary>
internal enum ConditionOp
{
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
    WithinPercent,
    WithinAbsolute,
    QualityIs,
    QualityIsNot,
}

/// <summary>
/// A condition on the plant: <c>A &lt; B</c> (and <c>&lt;= &gt; &gt;= == !=</c>), <c>A within 2% of B</c>,
/// <c>A within 0.05 of B</c>, <c>A is good|uncertain|bad</c>, <c>A is not good</c>. An operand is a
/// region point (<c>tank.inputs.level</c>), a simulated device's true value (<c>sim://tank/level</c>)
/// or a number.
/// </summary>
internal sealed partial record Condition(string Text, Operand Left, ConditionOp Op, Operand Right, double Tolerance, Quality Quality)
{
    public const string Syntax = "A < B (or <=, >, >=, ==, !=), A within 2% of B, A within 0.05 of B, A is good|uncertain|bad, A is not good; A and B a region point (tank.inputs.level), a sim:// device or a number";

    /// <summary>Reads <paramref name="text"/>; null with <paramref name="problem"/> when it is not a condition.</summary>
    public static Condition? Parse(string text, out string? problem)
    {
        problem = null;
        var trimmed = text.Trim();
        var quality = QualityForm().Match(trimmed);
        if (quality.Success)
        {
            var left = ParseOperand(quality.Groups[1].Value, out problem);
            if (left is null || left.IsConstant || left.DeviceUri is not null)
            {
                problem ??= "a quality belongs to a region point";
                return null;
            }

            var word = quality.Groups[3].Value;
            var q = word switch { "good" => Quality.Good, "uncertain" => Quality.Uncertain, _ => Quality.Bad };
            return new Condition(trimmed, left, quality.Groups[2].Success ? ConditionOp.QualityIsNot : ConditionOp.QualityIs, left, 0, q);
        }

        var within = WithinForm().Match(trimmed);
        if (within.Success)
        {
            var left = ParseOperand(within.Groups[1].Value, out problem);
            var right = left is null ? null : ParseOperand(within.Groups[4].Value, out problem);
            if (left is null || right is null)
            {
                return null;
            }

            var tolerance = double.Parse(within.Groups[2].Value, CultureInfo.InvariantCulture);
            var percent = within.Groups[3].Success;
            return new Condition(trimmed, left, percent ? ConditionOp.WithinPercent : ConditionOp.WithinAbsolute, right, percent ? tolerance / 100 : tolerance, Quality.Good);
        }

        var compare = CompareForm().Match(trimmed);
        if (!compare.Success)
        {
            problem = $"'{trimmed}' is not a condition";
            return null;
        }

        var a = ParseOperand(compare.Groups[1].Value, out problem);
        var b = a is null ? null : ParseOperand(compare.Groups[3].Value, out problem);
        if (a is null || b is null)
        {
            return null;
        }

        var op = compare.Groups[2].Value switch
        {
            "<" => ConditionOp.Less,
            "<=" => ConditionOp.LessOrEqual,
            ">" => ConditionOp.Greater,
            ">=" => ConditionOp.GreaterOrEqual,
            "==" => ConditionOp.Equal,
            _ => ConditionOp.NotEqual,
        };
        return new Condition(trimmed, a, op, b, 0, Quality.Good);
    }

    /// <summary>Reads one operand: a number, a sim:// device or REGION.POINT; null with <paramref name="problem"/> when it is none.</summary>
    internal static Operand? ParseOperand(string text, out string? problem)
    {
        problem = null;
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return new Operand(trimmed, null, null, null, number);
        }

        if (trimmed.StartsWith("sim://", StringComparison.Ordinal))
        {
            return new Operand(trimmed, null, null, trimmed, 0);
        }

        var dot = trimmed.LastIndexOf('.');
        if (dot <= 0 || dot == trimmed.Length - 1 || trimmed.Any(char.IsWhiteSpace))
        {
            problem = $"'{trimmed}' is neither a number, a region point (REGION.POINT) nor a sim:// device";
            return null;
        }

        return new Operand(trimmed, trimmed[..dot], trimmed[(dot + 1)..], null, 0);
    }

    [GeneratedRegex(@"^(\S+)\s+is\s+(not\s+)?(good|uncertain|bad)$")]
    private static partial Regex QualityForm();

    [GeneratedRegex(@"^(\S+)\s+within\s+([0-9]+(?:\.[0-9]+)?)(%)?\s+of\s+(\S+)$")]
    private static partial Regex WithinForm();

    [GeneratedRegex(@"^(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)$")]
    private static partial Regex CompareForm();
}

/// <summary>
/// Reads conditions on one running system: region points through preallocated snapshots, devices
/// through channels opened once on the unwrapped bus (their true value, beneath any fault).
/// </summary>
internal sealed class ConditionReader
{
    private readonly SystemKernel kernel;
    private readonly Dictionary<string, (Region Region, RegionSnapshot Snapshot)> regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IDeviceChannel> devices = new(StringComparer.Ordinal);
    private readonly IDeviceProvider bus;

    public ConditionReader(SystemKernel kernel, IDeviceProvider bus)
    {
        this.kernel = kernel;
        this.bus = bus;
    }

    /// <summary>What in <paramref name="condition"/> names nothing in the system, or null.</summary>
    public static string? Unknown(Condition condition, Kernel.Manifests.SystemDefinition system)
    {
        foreach (var operand in (Operand[])[condition.Left, condition.Right])
        {
            if (Unknown(operand, system) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>What <paramref name="operand"/> names that is not in the system, or null.</summary>
    public static string? Unknown(Operand operand, Kernel.Manifests.SystemDefinition system)
    {
        if (operand.Region is { } region)
        {
            var writer = system.Services.FirstOrDefault(s => s.Spec.Regions.Any(r => r.Name == region && r.Access == Kernel.Manifests.RegionAccess.Write));
            if (writer is null)
            {
                return $"no region '{region}' in the system; its regions are {string.Join(", ", system.Services.SelectMany(s => s.Spec.Regions).Where(r => r.Access == Kernel.Manifests.RegionAccess.Write).Select(r => r.Name).Distinct())}";
            }

            var points = writer.Spec.Regions.First(r => r.Name == region && r.Access == Kernel.Manifests.RegionAccess.Write).Points;
            if (!points.Contains(operand.Point!))
            {
                return $"region '{region}' has no point '{operand.Point}'; its points are {string.Join(", ", points)}";
            }
        }
        else if (operand.DeviceUri is { } uri && !system.Services.Any(s => s.Spec.Devices.Any(d => d.Uri == uri)))
        {
            return $"no service has device '{uri}'";
        }

        return null;
    }

    public bool Holds(Condition condition)
    {
        if (condition.Op is ConditionOp.QualityIs or ConditionOp.QualityIsNot)
        {
            var quality = QualityOf(condition.Left);
            return (quality == condition.Quality) == (condition.Op == ConditionOp.QualityIs);
        }

        var a = Value(condition.Left);
        var b = Value(condition.Right);
        return condition.Op switch
        {
            ConditionOp.Less => a < b,
            ConditionOp.LessOrEqual => a <= b,
            ConditionOp.Greater => a > b,
            ConditionOp.GreaterOrEqual => a >= b,
            ConditionOp.Equal => a == b,
            ConditionOp.NotEqual => a != b,
            ConditionOp.WithinPercent => Math.Abs(a - b) <= condition.Tolerance * Math.Abs(b),
            _ => Math.Abs(a - b) <= condition.Tolerance,
        };
    }

    /// <summary>The operand's value now (a region point's as of the last <see cref="Refresh"/>).</summary>
    public double Value(Operand operand)
    {
        if (operand.DeviceUri is { } uri)
        {
            if (!devices.TryGetValue(uri, out var channel))
            {
                channel = bus.Open(uri, DeviceAccess.Read);
                devices.Add(uri, channel);
            }

            return Hil.SimulatedDeviceBus.ReadDouble(channel);
        }

        if (operand.Region is null)
        {
            return operand.Constant;
        }

        var (region, snapshot) = Snapshot(operand.Region);
        return snapshot.Value(region.IndexOf(operand.Point!));
    }

    private Quality QualityOf(Operand operand)
    {
        var (region, snapshot) = Snapshot(operand.Region!);
        return snapshot.Quality(region.IndexOf(operand.Point!));
    }

    private (Region Region, RegionSnapshot Snapshot) Snapshot(string name)
    {
        if (!regions.TryGetValue(name, out var entry))
        {
            var region = kernel.FindRegion(name)!;
            entry = (region, new RegionSnapshot(region.PointCount));
            regions.Add(name, entry);
        }

        // Read once per sample: the campaign calls Refresh before it looks at conditions.
        return entry;
    }

    /// <summary>Copies every region a condition reads, once per sample.</summary>
    public void Refresh()
    {
        foreach (var (region, snapshot) in regions.Values)
        {
            kernel.TryInspect(region, snapshot);
        }
    }

    /// <summary>Makes sure the regions of <paramref name="condition"/> are copied by <see cref="Refresh"/>.</summary>
    public void Watch(Condition condition)
    {
        Watch(condition.Left);
        Watch(condition.Right);
    }

    /// <summary>Makes sure the region of <paramref name="operand"/>, if it reads one, is copied by <see cref="Refresh"/>.</summary>
    public void Watch(Operand operand)
    {
        if (operand.Region is { } region)
        {
            Snapshot(region);
        }
    }
}
