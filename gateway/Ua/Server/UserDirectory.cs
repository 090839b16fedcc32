using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>One user who may activate a session with a password: the name, the role and the stored hash.</summary>
public sealed record UserAccount(string Name, UserRole Role, PasswordHash Hash);

/// <summary>
/// A salted, slow password hash: PBKDF2 with HMAC-SHA256 (.NET's <see cref="Rfc2898DeriveBytes"/>),
/// stored as <c>pbkdf2-sha256$iterations$salt$hash</c> with salt and hash in base64, the way
/// Django and passlib store theirs, so a users table never holds a password and a stolen one costs
/// an attacker <see cref="Iterations"/> HMACs per guess.
/// </summary>
public sealed class PasswordHash
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>Iterations for a new hash: OWASP's 2023 advice for PBKDF2-HMAC-SHA256 is 600,000; at about 0.3 s here we take 210,000.</summary>
    public const int DefaultIterations = 210_000;

    public const int IterationsMin = 10_000;

    public const int SaltBytesMin = 16;

    private const int HashBytes = 32;

    private readonly byte[] salt;
    private readonly byte[] hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    public int Iterations { get; }

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt (a tool's call: the server only verifies).</summary>
    public static PasswordHash Create(string password, int iterations = DefaultIterations) =>
        Create(password, RandomNumberGenerator.GetBytes(SaltBytesMin), iterations);

    public static PasswordHash Create(string password, byte[] salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(salt);
        if (iterations < IterationsMin || salt.Length < SaltBytesMin)
        {
            throw new ArgumentException($"a password hash takes at least {IterationsMin} iterations and {SaltBytesMin} bytes of salt");
        }

        return new PasswordHash(iterations, salt.ToArray(), Derive(password, salt, iterations));
    }

    /// <summary>Reads the stored form; false with the reason for anything else.</summary>
    public static bool TryParse(string text, out PasswordHash? value, out string problem)
    {
        value = null;
        string[] parts = text.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            problem = $"a password hash is {Scheme}$iterations$salt$hash (make one with `neokernel gateway hash-password`)";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations < IterationsMin)
        {
            problem = $"the iterations '{parts[1]}' are not a number of at least {IterationsMin}";
            return false;
        }

        try
        {
            byte[] salt = Convert.FromBase64String(parts[2]);
            byte[] hash = Convert.FromBase64String(parts[3]);
            if (salt.Length < SaltBytesMin || hash.Length != HashBytes)
            {
                problem = $"the salt has {salt.Length} bytes (at least {SaltBytesMin}) and the hash {hash.Length} (exactly {HashBytes})";
                return false;
            }

            value = new PasswordHash(iterations, salt, hash);
            problem = "";
            return true;
        }
        catch (FormatException)
        {
            problem = "the salt or the hash is not base64";
            return false;
        }
    }

    /// <summary>True when the password (UTF-8) hashes to the stored hash; compared in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> passwordUtf8) =>
        CryptographicOperations.FixedTimeEquals(Rfc2898DeriveBytes.Pbkdf2(passwordUtf8, salt, Iterations, HashAlgorithmName.SHA256, HashBytes), hash);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
}

/// <summary>The users a server knows, by name (ordinal: user names are case-sensitive, as in most UA servers).</summary>
public sealed class UserDirectory
{
    private readonly Dictionary<string, UserAccount> users;

    public UserDirectory(IEnumerable<UserAccount> accounts)
    {
        users = new Dictionary<string, UserAccount>(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            if (!users.TryAdd(account.Name, account))
            {
                throw new ArgumentException($"user '{account.Name}' is listed twice", nameof(accounts));
            }
        }
    }

    public static UserDirectory Empty { get; } = new([]);

    public int Count => users.Count;

    /// <summary>
    /// The account whose password this is, or null. An unknown user costs the same hashing as a
    /// known one, so timing does not tell which names exist.
    /// </summary>
    public UserAccount? Authenticate(string? name, ReadOnlySpan<byte> passwordUtf8)
    {
        if (name is not null && users.TryGetValue(name, out var account))
        {
            return account.Hash.Verify(passwordUtf8) ? account : null;
        }

        Decoy.Value.Verify(passwordUtf8);
        return null;
    }

    /// <summary>
    /// The hash an unknown name is checked against, made at the first such login, not at start: a
    /// gateway that never sees one never loads the platform's crypto library (OpenSSL on Linux,
    /// which the arm64 smoke test's qemu sysroot lacks; a board's Debian has it).
    /// </summary>
    private static readonly Lazy<PasswordHash> Decoy = new(() => PasswordHash.Create("decoy", new byte[PasswordHash.SaltBytesMin], PasswordHash.DefaultIterations));
}
