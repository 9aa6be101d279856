// Charset names: RFC 2978 (IANA charset registry), RFC 2047 2 / RFC 2231 5 (charset*language),
// RFC 6532 3.2 (raw UTF-8 in headers).
using System.Collections.Concurrent;
using System.Text;
using System.Text.Unicode;

namespace Appliance.Mime;

internal static class Charsets
{
    /// <summary>Far more than the distinct labels real mail uses (a few dozen), small enough not to matter.</summary>
    private const int MaxCachedLabels = 512;

    private static readonly ConcurrentDictionary<string, Encoding?> Cache = new(StringComparer.OrdinalIgnoreCase);

    static Charsets()
    {
        // .NET Core ships only the Unicode encodings and Latin-1 by default; mail needs the legacy
        // code pages (iso-8859-*, windows-125x, koi8-r, gbk, big5, shift_jis, euc-*, iso-2022-jp).
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    /// <summary>
    /// Decodes text in the named charset. When the charset is missing, unknown or us-ascii (which 8-bit
    /// bytes prove wrong) the bytes are read as UTF-8 when valid, else as Latin-1.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string? charset)
    {
        Encoding? encoding = Find(charset);
        return encoding is null ? DecodeRaw(bytes) : encoding.GetString(bytes);
    }

    /// <summary>Undeclared 8-bit text: UTF-8 when valid (RFC 6532), else Latin-1, which maps every byte.</summary>
    public static string DecodeRaw(ReadOnlySpan<byte> bytes) =>
        Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);

    /// <summary>
    /// The encoding <see cref="DecodeRaw"/> would choose for a prefix cut at an arbitrary byte, and how
    /// many of its bytes to decode: an incomplete UTF-8 sequence at the very end does not make the
    /// whole text Latin-1.
    /// </summary>
    public static (Encoding Encoding, int Length) ForUndeclaredPrefix(ReadOnlySpan<byte> bytes)
    {
        for (int tail = 0; tail <= Math.Min(3, bytes.Length); tail++)
        {
            if (Utf8.IsValid(bytes[..^tail]))
            {
                return (Encoding.UTF8, bytes.Length - tail);
            }
        }
        return (Encoding.Latin1, bytes.Length);
    }

    /// <summary>Like <see cref="DecodeRaw"/> for a prefix cut at an arbitrary byte (see <see cref="ForUndeclaredPrefix"/>).</summary>
    public static string DecodeRawPrefix(ReadOnlySpan<byte> bytes)
    {
        (Encoding encoding, int length) = ForUndeclaredPrefix(bytes);
        return encoding.GetString(bytes[..length]);
    }

    /// <summary>The encoding for a charset label, or null for unknown, missing and us-ascii labels.</summary>
    public static Encoding? Find(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset))
        {
            return null;
        }
        if (Cache.TryGetValue(charset, out Encoding? cached))
        {
            return cached;
        }
        Encoding? encoding = Lookup(charset);
        // Labels come from untrusted mail: cap the cache so random labels cannot grow it forever.
        if (Cache.Count < MaxCachedLabels)
        {
            Cache.TryAdd(charset, encoding);
        }
        return encoding;
    }

    private static Encoding? Lookup(string label)
    {
        string name = label.Trim().Trim('"', '\'').ToLowerInvariant();
        int star = name.IndexOf('*');
        if (star >= 0)
        {
            name = name[..star]; // RFC 2231 5: charset*language
        }
        switch (name)
        {
            case "us-ascii" or "ascii" or "ansi_x3.4-1968" or "unknown-8bit" or "x-unknown" or "unknown" or "default":
                // Labels that promise 7-bit or promise nothing: decide from the bytes.
                return null;
            case "utf8":
                return Encoding.UTF8;
            case "iso-8859-1" or "iso8859-1" or "latin1" or "latin-1" or "l1":
                // The WHATWG Encoding Standard maps these labels to windows-1252: mail labelled
                // iso-8859-1 routinely carries 1252 quotes and dashes in 0x80-0x9F.
                name = "windows-1252";
                break;
            case "iso-8859-8-i":
                name = "iso-8859-8"; // RFC 1556 logical order; same characters
                break;
        }
        if (name.StartsWith("iso8859-", StringComparison.Ordinal) || name.StartsWith("iso_8859-", StringComparison.Ordinal))
        {
            name = "iso-8859-" + name[(name.IndexOf('-') + 1)..];
        }
        try
        {
            if (TryCodePageNumber(name, out int codePage))
            {
                return Encoding.GetEncoding(codePage);
            }
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null; // utf-7 is disabled in .NET 5+, and rightly: it smuggles markup past filters
        }
    }

    // "cp1251", "cp-866", "x-cp1250", "windows1252", "ibm866": labels .NET does not know by name.
    private static bool TryCodePageNumber(string name, out int codePage)
    {
        codePage = 0;
        foreach (string prefix in (ReadOnlySpan<string>)["x-cp", "cp-", "cp", "windows", "ibm"])
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                string digits = name[prefix.Length..].TrimStart('-');
                return digits.Length is > 0 and <= 5 && digits.All(char.IsAsciiDigit) && int.TryParse(digits, out codePage);
            }
        }
        return false;
    }
}
