using System.Globalization;
using System.Text;

namespace Appliance.Storage.Mail;

/// <summary>
/// Maildir file names: "{unique},U={uid},S={size}:2,{flags}". The unique part follows the
/// Maildir convention (time.M{counter}P{pid}R{random}.host); the UID in the name is what lets a
/// reindex restore UIDs without the index, and the ":2," info suffix carries the standard flags
/// (D draft, F flagged, R replied, S seen, T trashed) so a reindex restores them too.
/// </summary>
internal static class MaildirName
{
    private const string InfoSeparator = ":2,";
    private static long s_counter;
    private static readonly string s_host = SanitizeHost(Environment.MachineName);

    internal readonly record struct Parsed(string Unique, uint? Uid, long? Size, MessageFlags Flags);

    public static string NewUnique()
    {
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var counter = Interlocked.Increment(ref s_counter);
        var random = Random.Shared.Next();
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.M{counter}P{Environment.ProcessId}R{random:x8}.{s_host}");
    }

    public static string Compose(string unique, uint uid, long size, MessageFlags flags) =>
        string.Create(CultureInfo.InvariantCulture, $"{unique},U={uid},S={size}{InfoSeparator}{FlagLetters(flags)}");

    public static Parsed Parse(string fileName)
    {
        var info = fileName.IndexOf(InfoSeparator, StringComparison.Ordinal);
        var left = info >= 0 ? fileName[..info] : fileName;
        var flags = info >= 0 ? ParseLetters(fileName.AsSpan(info + InfoSeparator.Length)) : MessageFlags.None;
        var parts = left.Split(',');
        uint? uid = null;
        long? size = null;
        foreach (var part in parts.Skip(1))
        {
            if (part.StartsWith("U=", StringComparison.Ordinal)
                && uint.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var u) && u > 0)
            {
                uid = u;
            }
            else if (part.StartsWith("S=", StringComparison.Ordinal)
                && long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                size = s;
            }
        }

        return new Parsed(parts[0], uid, size, flags);
    }

    public static string FlagLetters(MessageFlags flags)
    {
        // Letters must be in ASCII order (Maildir specification, "info" semantics).
        var sb = new StringBuilder(5);
        if (flags.HasFlag(MessageFlags.Draft)) sb.Append('D');
        if (flags.HasFlag(MessageFlags.Flagged)) sb.Append('F');
        if (flags.HasFlag(MessageFlags.Answered)) sb.Append('R');
        if (flags.HasFlag(MessageFlags.Seen)) sb.Append('S');
        if (flags.HasFlag(MessageFlags.Deleted)) sb.Append('T');
        return sb.ToString();
    }

    private static MessageFlags ParseLetters(ReadOnlySpan<char> letters)
    {
        var flags = MessageFlags.None;
        foreach (var c in letters)
        {
            flags |= c switch
            {
                'D' => MessageFlags.Draft,
                'F' => MessageFlags.Flagged,
                'R' => MessageFlags.Answered,
                'S' => MessageFlags.Seen,
                'T' => MessageFlags.Deleted,
                _ => MessageFlags.None, // 'P' (passed) and experimental letters have no IMAP meaning.
            };
        }

        return flags;
    }

    private static string SanitizeHost(string host)
    {
        // '/', ':' and ',' have meaning in Maildir names; keep the host part to a safe alphabet.
        var sb = new StringBuilder(host.Length);
        foreach (var c in host)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        }

        return sb.Length == 0 ? "localhost" : sb.ToString();
    }
}
