using System.Globalization;
using Appliance.Storage.Entities;

namespace Appliance.Web.Cli;

/// <summary>Parsing and printing of the CLI's values: sizes, roles, tables.</summary>
internal static class CliFormat
{
    /// <summary>Parses "0", "unlimited", "1048576", "500M", "2G", "1.5GiB" (binary units).</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        string t = text.Trim().ToUpperInvariant();
        if (t is "UNLIMITED" or "NONE")
            return true;
        long multiplier = 1;
        string[] suffixes = ["KIB", "MIB", "GIB", "TIB", "KB", "MB", "GB", "TB", "K", "M", "G", "T", "B"];
        foreach (string suffix in suffixes)
        {
            if (!t.EndsWith(suffix, StringComparison.Ordinal))
                continue;
            multiplier = suffix[0] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
            t = t[..^suffix.Length].TrimEnd();
            break;
        }
        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value) || value < 0)
            return false;
        decimal total = value * multiplier;
        if (total > long.MaxValue)
            return false;
        bytes = (long)decimal.Round(total);
        return true;
    }

    public static string Size(long bytes)
    {
        if (bytes == 0)
            return "0";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString(value >= 100 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Quota(long bytes) => bytes == 0 ? "unlimited" : Size(bytes);

    public static bool TryParseRole(string text, out MailboxRole role)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "user": role = MailboxRole.User; return true;
            case "domain-admin": role = MailboxRole.DomainAdmin; return true;
            case "admin": role = MailboxRole.Admin; return true;
            default: role = default; return false;
        }
    }

    public static string Role(MailboxRole role) => role switch
    {
        MailboxRole.DomainAdmin => "domain-admin",
        MailboxRole.Admin => "admin",
        _ => "user",
    };

    /// <summary>Writes rows as left-aligned columns separated by two spaces; the first row is the heading.</summary>
    public static void Table(TextWriter output, IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0)
            return;
        int columns = rows[0].Length;
        var widths = new int[columns];
        foreach (var row in rows)
            for (int i = 0; i < columns; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in rows)
        {
            var cells = row.Select((cell, i) => i == columns - 1 ? cell : cell.PadRight(widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
