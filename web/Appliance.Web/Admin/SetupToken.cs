using System.Security.Cryptography;
using System.Text;

namespace Appliance.Web.Admin;

/// <summary>
/// The one-time token that the first-run setup page requires while no administrator exists. It is
/// made at start-up and printed only in the server's log, so only someone who can read the log
/// (the person who installed the server) can create the first administrator; a stranger who reaches
/// the page first cannot. Lives in memory: a restart makes a new one. It is also written to
/// <see cref="FileName"/> in the data directory (readable by the service user only), so that the
/// installer and `appliance setup-token` can show it without parsing the log; the file goes away
/// when setup closes.
/// </summary>
/// <param name="filePath">Where to keep the copy for `appliance setup-token`; null keeps none (tests).</param>
public sealed class SetupToken(string? filePath = null)
{
    /// <summary>The token's file in the data directory.</summary>
    public const string FileName = "setup-token";

    /// <summary>20 characters of Crockford-style base32: 100 bits, typed by hand from a terminal.</summary>
    private const string Alphabet = "ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    private const int Length = 20;

    private readonly Lock _lock = new();
    private byte[]? _value;

    /// <summary>Makes a new token (start-up, when no administrator exists) and returns it for the log.</summary>
    public string Issue()
    {
        var text = new StringBuilder(Length);
        foreach (byte b in RandomNumberGenerator.GetBytes(Length))
            text.Append(Alphabet[b % Alphabet.Length]); // 256 is a multiple of 32: no bias
        lock (_lock)
        {
            _value = Encoding.ASCII.GetBytes(text.ToString());
            WriteFile(text.ToString());
        }
        return text.ToString();
    }

    /// <summary>Whether setup is open (a token was issued and not yet used).</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
                return _value is not null;
        }
    }

    /// <summary>Constant-time comparison; spaces and dashes a person may add are ignored, case too.</summary>
    public bool Matches(string? candidate)
    {
        byte[]? value;
        lock (_lock)
            value = _value;
        if (value is null || candidate is null)
            return false;
        var normalized = Encoding.ASCII.GetBytes(new string(candidate.Where(c => c is not (' ' or '-')).Select(char.ToUpperInvariant).Where(c => c < 128).ToArray()));
        return CryptographicOperations.FixedTimeEquals(normalized, value);
    }

    /// <summary>Closes setup: the token no longer works.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _value = null;
            if (filePath is not null)
                File.Delete(filePath);
        }
    }

    private void WriteFile(string token)
    {
        if (filePath is null)
            return;
        // Written beside and renamed, so a reader never sees half a token; owner-only like the keys.
        string temporary = filePath + ".new";
        var mode = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temporary, Encoding.ASCII, mode))
            writer.Write(token + "\n");
        File.Move(temporary, filePath, overwrite: true);
    }
}
