using System.Text;

namespace Neokernel.Gateway.Plant;

/// <summary>
/// A text the kernel sends as UTF-8 (a service id, a last fault), kept as its bytes and as a
/// string that is made only when the bytes change: reading the same text every refresh
/// allocates nothing. Bounded by the capacity it is made with; longer input is cut (the kernel
/// already cuts its texts to their bounds at a character boundary).
/// </summary>
internal sealed class CachedText(int bytesMax)
{
    private readonly byte[] bytes = new byte[bytesMax];
    private int length;

    public string Text { get; private set; } = string.Empty;

    public bool Matches(ReadOnlySpan<byte> utf8) => utf8.SequenceEqual(bytes.AsSpan(0, length));

    /// <summary>Takes <paramref name="utf8"/>; reuses <paramref name="known"/>'s string when it holds the same bytes.</summary>
    public void Assign(ReadOnlySpan<byte> utf8, CachedText known)
    {
        var cut = utf8[..Math.Min(utf8.Length, bytes.Length)];
        if (Matches(cut))
        {
            return;
        }

        cut.CopyTo(bytes);
        length = cut.Length;
        Text = known.Matches(cut) ? known.Text : Encoding.UTF8.GetString(cut);
    }

    /// <summary>Becomes a copy of <paramref name="other"/>; true when that changed the text.</summary>
    public bool CopyFrom(CachedText other)
    {
        if (ReferenceEquals(Text, other.Text) && length == other.length)
        {
            return false;
        }

        var changed = !Matches(other.bytes.AsSpan(0, other.length));
        other.bytes.AsSpan(0, other.length).CopyTo(bytes);
        length = other.length;
        Text = other.Text;
        return changed;
    }
}
