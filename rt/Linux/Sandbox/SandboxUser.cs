using System.Globalization;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>The unprivileged user a service host process switches to: a name for people, its ids for the OS.</summary>
public sealed record SandboxUser(string Name, uint UserId, uint GroupId)
{
    /// <summary>The default: the traditional unprivileged account, which owns no files.</summary>
    public const string DefaultName = "nobody";

    /// <summary>nobody's ids on Debian, used when /etc/passwd does not list it.</summary>
    private const uint NobodyId = 65534;

    /// <summary>
    /// The user named <paramref name="spec"/>: an account in /etc/passwd, or <c>UID:GID</c>.
    /// Root (id 0) is refused: it would not be a sandbox. Throws with what to write instead.
    /// </summary>
    public static SandboxUser Resolve(string spec, string passwdPath = "/etc/passwd")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var user = TryIds(spec) ?? TryAccount(spec, passwdPath)
            ?? (spec == DefaultName ? new SandboxUser(DefaultName, NobodyId, NobodyId) : null)
            ?? throw new ArgumentException($"sandbox user '{spec}': no such account in {passwdPath}; give an account name or UID:GID (for example 65534:65534)", nameof(spec));
        if (user.UserId == 0 || user.GroupId == 0)
        {
            throw new ArgumentException($"sandbox user '{spec}' is root (uid {user.UserId}, gid {user.GroupId}); give an unprivileged account such as {DefaultName}, or run with --no-sandbox", nameof(spec));
        }

        return user;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({UserId}:{GroupId})");

    private static SandboxUser? TryIds(string spec)
    {
        var parts = spec.Split(':');
        return parts.Length == 2
            && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
            ? new SandboxUser(spec, uid, gid)
            : null;
    }

    /// <summary>name:password:uid:gid:... lines of the passwd file; null when it has no such name or cannot be read.</summary>
    private static SandboxUser? TryAccount(string name, string passwdPath)
    {
        if (!File.Exists(passwdPath))
        {
            return null;
        }

        foreach (var line in File.ReadLines(passwdPath))
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && fields[0] == name
                && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                && uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
            {
                return new SandboxUser(name, uid, gid);
            }
        }

        return null;
    }
}
