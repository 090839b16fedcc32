using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Hil;

/// <summary>
/// One signal: its waveform, peak deviation from its offset, period, and how far the points it
/// covers are spread over one period (0: all in step, 1: evenly over a whole period).
/// </summary>
public sealed record SignalShape(Waveform Waveform, double Amplitude, double Offset, long PeriodNs, double PhaseSpreadPeriods);

/// <summary>
/// Which points a rule covers: a pattern with <c>*</c> (any run of characters) and <c>?</c> (one
/// character), or a range <c>FROM..TO</c> of numbered names with one prefix (<c>s0000..s0999</c>:
/// every point with that prefix and a number from 0 to 999, whatever its zero padding).
/// </summary>
public sealed class PointPattern
{
    private readonly string glob;
    private readonly string rangePrefix;
    private readonly int rangeFrom;
    private readonly int rangeTo;

    private PointPattern(string text, string glob, string rangePrefix, int rangeFrom, int rangeTo)
    {
        Text = text;
        this.glob = glob;
        this.rangePrefix = rangePrefix;
        this.rangeFrom = rangeFrom;
        this.rangeTo = rangeTo;
    }

    public string Text { get; }

    public const string Allowed = "a name, a pattern with * and ? (s00*, *), or a range of numbered names FROM..TO with one prefix (s0000..s0999)";

    /// <summary>Reads a pattern as written; null, with the problem in words, if it is not one.</summary>
    public static PointPattern? TryParse(string text, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = "";
        var dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            if (text.Length == 0)
            {
                problem = "the pattern is empty";
                return null;
            }

            return new PointPattern(text, text, "", 0, -1);
        }

        var (from, to) = (text[..dots], text[(dots + 2)..]);
        if (!PointSeries.TrySplit(from, out var prefix, out var first, out _) || !PointSeries.TrySplit(to, out var toPrefix, out var last, out _))
        {
            problem = $"'{text}' is a range, but its ends are not both numbered names";
            return null;
        }

        if (prefix != toPrefix || first > last)
        {
            problem = prefix != toPrefix
                ? $"the ends of '{text}' have different prefixes ('{prefix}', '{toPrefix}')"
                : $"'{text}' runs backwards";
            return null;
        }

        return new PointPattern(text, "", prefix, first, last);
    }

    public bool Matches(string point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (glob.Length > 0)
        {
            return GlobMatches(glob, point);
        }

        return PointSeries.TrySplit(point, out var prefix, out var number, out _)
            && prefix == rangePrefix && number >= rangeFrom && number <= rangeTo;
    }

    /// <summary>Iterative wildcard match with one backtrack point: linear in practice, never recursive.</summary>
    private static bool GlobMatches(string pattern, string text)
    {
        var (p, t, star, resume) = (0, 0, -1, 0);
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

/// <summary>A rule of the signal table: the points of one region (or of every region, when null) that take a shape.</summary>
public sealed record SignalRule(string? Region, PointPattern Points, SignalShape Shape)
{
    public bool Covers(string region, string point) => (Region is null || Region == region) && Points.Matches(point);
}

/// <summary>
/// The signal generator's model, apart from the kernel: every point of its regions with the shape
/// the first rule covering it gives (or the default), and each point's phase within its rule's
/// points. Built once at start; <see cref="Write"/> computes a cycle's values without allocating.
/// </summary>
public sealed class SignalPlan
{
    private readonly Waveform[] waveforms;
    private readonly double[] amplitudes;
    private readonly double[] offsets;
    private readonly long[] periodsNs;
    private readonly long[] phasesNs;

    /// <param name="regions">The regions' point names, in region order: the plan's points are these, region after region.</param>
    /// <param name="rules">The table's rules; the first that covers a point gives its shape.</param>
    /// <param name="fallback">The shape of points no rule covers.</param>
    public SignalPlan(IReadOnlyList<(string Region, IReadOnlyList<string> Points)> regions, IReadOnlyList<SignalRule> rules, SignalShape fallback)
    {
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(fallback);
        var owners = Assign(regions, rules);
        var count = owners.Length;
        (waveforms, amplitudes, offsets, periodsNs, phasesNs) = (new Waveform[count], new double[count], new double[count], new long[count], new long[count]);
        var members = new int[rules.Count + 1];
        foreach (var owner in owners)
        {
            members[owner]++;
        }

        var seen = new int[rules.Count + 1];
        for (var i = 0; i < count; i++)
        {
            var owner = owners[i];
            var shape = owner < rules.Count ? rules[owner].Shape : fallback;
            if (shape.PeriodNs <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(fallback), shape.PeriodNs, "a signal's period must be positive");
            }

            (waveforms[i], amplitudes[i], offsets[i], periodsNs[i]) = (shape.Waveform, shape.Amplitude, shape.Offset, shape.PeriodNs);
            phasesNs[i] = (long)((double)seen[owner]++ / members[owner] * shape.PhaseSpreadPeriods * shape.PeriodNs) % shape.PeriodNs;
        }

        RuleMembers = members[..rules.Count];
    }

    /// <summary>Points in all regions together.</summary>
    public int PointCount => waveforms.Length;

    /// <summary>How many points each rule covers, in rule order: a rule that covers none is probably a mistake.</summary>
    public IReadOnlyList<int> RuleMembers { get; }

    /// <summary>
    /// The points' values at <paramref name="timeNs"/> (non-negative) into <paramref name="values"/>
    /// (<see cref="PointCount"/> long); noise draws from <paramref name="random"/> in point order.
    /// </summary>
    public void Write(long timeNs, Span<double> values, DeterministicRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeNs);
        ArgumentOutOfRangeException.ThrowIfNotEqual(values.Length, PointCount, nameof(values));
        for (var i = 0; i < values.Length; i++)
        {
            var periodNs = periodsNs[i];
            var phase = (double)(((timeNs % periodNs) + phasesNs[i]) % periodNs) / periodNs;
            values[i] = offsets[i] + (amplitudes[i] * Waveforms.Evaluate(waveforms[i], phase, random));
        }
    }

    /// <summary>For each point, region after region, the index of the first rule covering it, or rules.Count for none.</summary>
    private static int[] Assign(IReadOnlyList<(string Region, IReadOnlyList<string> Points)> regions, IReadOnlyList<SignalRule> rules)
    {
        var owners = new List<int>();
        foreach (var (region, points) in regions)
        {
            foreach (var point in points)
            {
                var owner = 0;
                while (owner < rules.Count && !rules[owner].Covers(region, point))
                {
                    owner++;
                }

                owners.Add(owner);
            }
        }

        return [.. owners];
    }
}
