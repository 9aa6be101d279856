// RFC 5322 3.3 (date and time specification) and 4.3 (obsolete date and time).
using System.Globalization;

namespace Appliance.Mime;

/// <summary>Reads the Date header (RFC 5322 3.3), tolerating the obsolete and broken forms seen in mail.</summary>
public static class MailDate
{
    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    private static readonly string[] Days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    // RFC 5322 4.3 obs-zone: UT, GMT and the North American zones with their meaning. The rest are
    // abbreviations common in real Date headers (Outlook, old Unix mailers) that are unambiguous.
    private static readonly Dictionary<string, int> ZoneMinutes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["UT"] = 0, ["UTC"] = 0, ["GMT"] = 0, ["Z"] = 0,
        ["EST"] = -5 * 60, ["EDT"] = -4 * 60, ["CST"] = -6 * 60, ["CDT"] = -5 * 60,
        ["MST"] = -7 * 60, ["MDT"] = -6 * 60, ["PST"] = -8 * 60, ["PDT"] = -7 * 60,
        ["WET"] = 0, ["WEST"] = 60, ["BST"] = 60, ["CET"] = 60, ["MET"] = 60, ["CEST"] = 120, ["MEST"] = 120,
        ["EET"] = 120, ["EEST"] = 180, ["MSK"] = 180, ["JST"] = 9 * 60, ["KST"] = 9 * 60, ["HKT"] = 8 * 60,
        ["AEST"] = 10 * 60, ["AEDT"] = 11 * 60, ["NZST"] = 12 * 60, ["NZDT"] = 13 * 60,
    };

    /// <summary>
    /// Parses a date-time, or returns null when no day, month and year can be found or they are out of
    /// range. Accepts: missing day-of-week, missing seconds, two- and three-digit years (4.3), obsolete
    /// and military zones, a missing zone (read as UTC), comments, extra spaces and commas, the ctime
    /// order "Mon Jan 12 10:00:00 2003", dashed dates "12-Jan-2003", ISO 8601 "2003-01-12T10:00:00Z",
    /// and am/pm.
    /// </summary>
    public static DateTimeOffset? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 500)
        {
            return null;
        }
        int? day = null, month = null, year = null, hour = null, minute = null, second = null, zone = null;
        bool pm = false, am = false;
        var numbers = new List<string>();
        foreach (string token in Tokens(StripComments(value)))
        {
            if (token.Contains(':', StringComparison.Ordinal) && char.IsAsciiDigit(token[0]) && hour is null)
            {
                if (!ReadTime(token, out hour, out minute, out second, ref zone))
                {
                    return null;
                }
            }
            else if ((token[0] is '+' or '-') && token.Length > 1 && char.IsAsciiDigit(token[1]))
            {
                // RFC 5322 3.3 zone = ("+" / "-") 4DIGIT; 4.3 reads "-0000" as "no information", so UTC.
                zone ??= ReadNumericZone(token);
            }
            else if (token.All(char.IsAsciiDigit))
            {
                numbers.Add(token);
            }
            else if (token.Length >= 3 && Array.IndexOf(Months, token[..3].ToLowerInvariant()) is int m and >= 0 && month is null)
            {
                month = m + 1;
            }
            else if (token.Length >= 3 && Array.IndexOf(Days, token[..3].ToLowerInvariant()) >= 0)
            {
                // RFC 5322 3.3: the day of week is optional and carries nothing the date does not.
            }
            else if (token.Equals("pm", StringComparison.OrdinalIgnoreCase))
            {
                pm = true;
            }
            else if (token.Equals("am", StringComparison.OrdinalIgnoreCase))
            {
                am = true;
            }
            else if (token.Length > 3 && token.StartsWith("GMT", StringComparison.OrdinalIgnoreCase) && token[3] is '+' or '-')
            {
                // "GMT+0100", "GMT-5": a broken but unambiguous offset from GMT.
                zone ??= ReadNumericZone(token[3..]);
            }
            else if (token.Length > 3 && token.StartsWith("UTC", StringComparison.OrdinalIgnoreCase) && token[3] is '+' or '-')
            {
                zone ??= ReadNumericZone(token[3..]);
            }
            else if (ZoneMinutes.TryGetValue(token, out int minutes))
            {
                zone ??= minutes;
            }
            else if (token.Length == 1 && char.IsAsciiLetter(token[0]))
            {
                // RFC 5322 4.3: military zones were defined with reversed signs in RFC 822, so they
                // "SHOULD all be considered equivalent to -0000": no information, read as UTC.
                zone ??= 0;
            }
        }

        if (month is null && numbers.Count >= 3 && numbers[0].Length == 4)
        {
            // ISO 8601 "2003-01-12": year, month, day.
            year = int.Parse(numbers[0], CultureInfo.InvariantCulture);
            month = ParseSmall(numbers[1]);
            day = ParseSmall(numbers[2]);
        }
        else
        {
            // RFC 5322 3.3 orders "day month year"; ctime puts the year last after the time; either
            // way the first number that can be a day is the day and the other one is the year.
            foreach (string number in numbers)
            {
                int n = ParseSmall(number);
                if (day is null && number.Length <= 2 && n is >= 1 and <= 31)
                {
                    day = n;
                }
                else if (year is null)
                {
                    year = number.Length switch
                    {
                        // RFC 5322 4.3: two-digit years 00-49 are 2000-2049, 50-99 are 1950-1999;
                        // three-digit years add 1900.
                        <= 2 => n < 50 ? 2000 + n : 1900 + n,
                        3 => 1900 + n,
                        _ => n,
                    };
                }
            }
        }
        if (day is null || month is null || year is null || year < 1 || year > 9999 || month is < 1 or > 12)
        {
            return null;
        }
        if (day > DateTime.DaysInMonth(year.Value, month.Value))
        {
            return null;
        }
        int h = hour ?? 0;
        if (pm && h < 12)
        {
            h += 12;
        }
        else if (am && h == 12)
        {
            h = 0;
        }
        int s = second ?? 0;
        if (h > 23 || (minute ?? 0) > 59 || s > 60)
        {
            return null;
        }
        // RFC 5322 3.3 allows second 60 (leap second); DateTimeOffset does not.
        s = Math.Min(s, 59);
        int offset = zone ?? 0;
        if (Math.Abs(offset) > 14 * 60)
        {
            offset = 0; // not a real zone; the time itself is still the best we have
        }
        return new DateTimeOffset(year.Value, month.Value, day.Value, h, minute ?? 0, s, TimeSpan.FromMinutes(offset));
    }

    private static int ParseSmall(string digits) =>
        digits.Length > 9 ? int.MaxValue : int.Parse(digits, CultureInfo.InvariantCulture);

    private static bool ReadTime(string token, out int? hour, out int? minute, out int? second, ref int? zone)
    {
        hour = minute = second = null;
        // A zone glued to the time: "10:00:00+0100", "10:00:00Z", ISO "T10:00:00.123+01:00".
        int zoneAt = token.IndexOfAny(['+', '-', 'Z', 'z']);
        string time = zoneAt < 0 ? token : token[..zoneAt];
        if (zoneAt >= 0)
        {
            zone ??= token[zoneAt] is 'Z' or 'z' ? 0 : ReadNumericZone(token[zoneAt..]);
        }
        int fraction = time.IndexOf('.');
        if (fraction >= 0)
        {
            time = time[..fraction];
        }
        string[] parts = time.Split(':');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length is 0 or > 2 || !p.All(char.IsAsciiDigit)))
        {
            return false;
        }
        hour = int.Parse(parts[0], CultureInfo.InvariantCulture);
        minute = int.Parse(parts[1], CultureInfo.InvariantCulture);
        second = parts.Length == 3 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : null;
        return true;
    }

    // "+0100", "-0500", also the broken "+01:00", "+1" and "+100" forms.
    private static int? ReadNumericZone(string token)
    {
        int sign = token[0] == '-' ? -1 : 1;
        string digits = new(token[1..].Where(char.IsAsciiDigit).Take(4).ToArray());
        int hours, minutes;
        switch (digits.Length)
        {
            case 1 or 2:
                hours = int.Parse(digits, CultureInfo.InvariantCulture);
                minutes = 0;
                break;
            case 3 or 4:
                hours = int.Parse(digits[..^2], CultureInfo.InvariantCulture);
                minutes = int.Parse(digits[^2..], CultureInfo.InvariantCulture);
                break;
            default:
                return null;
        }
        return minutes > 59 ? null : sign * (hours * 60 + minutes);
    }

    private static string StripComments(string value)
    {
        var text = new System.Text.StringBuilder(value.Length);
        int depth = 0;
        foreach (char c in value)
        {
            if (c == '(')
            {
                depth++;
                text.Append(' ');
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Splits on whitespace and commas, and splits dashed dates ("12-Jan-2003", "2003-01-12") while
    /// keeping signed zones ("-0500", "GMT-5") whole. "T" between an ISO date and time separates too.
    /// </summary>
    private static IEnumerable<string> Tokens(string value)
    {
        foreach (string raw in value.Split([' ', '\t', '\r', '\n', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            string token = raw;
            int t = token.IndexOf('T');
            if (t is >= 8 and < 11 && char.IsAsciiDigit(token[0]) && token.Contains(':', StringComparison.Ordinal))
            {
                foreach (string part in token[..t].Split('-', StringSplitOptions.RemoveEmptyEntries))
                {
                    yield return part;
                }
                yield return token[(t + 1)..];
                continue;
            }
            if (char.IsAsciiDigit(token[0]) && !token.Contains(':', StringComparison.Ordinal) && token.Contains('-', StringComparison.Ordinal))
            {
                foreach (string part in token.Split(['-', '/'], StringSplitOptions.RemoveEmptyEntries))
                {
                    yield return part;
                }
                continue;
            }
            yield return token;
        }
    }
}
