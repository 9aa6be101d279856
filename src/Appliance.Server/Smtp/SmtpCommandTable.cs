// RFC 5321 section 4.1.4 (order of commands), 3.3 (mail transactions); RFC 3030 section 3 (BDAT
// sequence); RFC 3207 section 4 and RFC 4954 section 4 (STARTTLS, AUTH are not allowed inside a
// transaction).
namespace Appliance.Server.Smtp;

internal enum SmtpVerb
{
    Unknown,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    Auth,
}

/// <summary>Where a session is between commands.</summary>
internal enum SmtpState
{
    /// <summary>Greeted the client; no HELO/EHLO yet (or again after STARTTLS).</summary>
    Connected,
    /// <summary>HELO/EHLO done, no transaction.</summary>
    Ready,
    /// <summary>MAIL accepted, no recipient yet.</summary>
    MailGiven,
    /// <summary>At least one RCPT accepted.</summary>
    RecipientGiven,
    /// <summary>BDAT chunks without LAST received (RFC 3030: only BDAT, RSET, QUIT, NOOP now).</summary>
    Chunking,
}

/// <summary>Which commands each state allows; a command outside its state gets 503 5.5.1.</summary>
internal static class SmtpCommandTable
{
    private static readonly Dictionary<SmtpState, HashSet<SmtpVerb>> Allowed = new()
    {
        [SmtpState.Connected] = [SmtpVerb.Helo, SmtpVerb.Ehlo, SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit, SmtpVerb.Vrfy, SmtpVerb.Expn, SmtpVerb.Help],
        [SmtpState.Ready] = [SmtpVerb.Helo, SmtpVerb.Ehlo, SmtpVerb.Mail, SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit, SmtpVerb.Vrfy, SmtpVerb.Expn, SmtpVerb.Help, SmtpVerb.StartTls, SmtpVerb.Auth],
        [SmtpState.MailGiven] = [SmtpVerb.Helo, SmtpVerb.Ehlo, SmtpVerb.Rcpt, SmtpVerb.Data, SmtpVerb.Bdat, SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit, SmtpVerb.Vrfy, SmtpVerb.Expn, SmtpVerb.Help],
        [SmtpState.RecipientGiven] = [SmtpVerb.Helo, SmtpVerb.Ehlo, SmtpVerb.Rcpt, SmtpVerb.Data, SmtpVerb.Bdat, SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit, SmtpVerb.Vrfy, SmtpVerb.Expn, SmtpVerb.Help],
        [SmtpState.Chunking] = [SmtpVerb.Bdat, SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit],
    };

    public static bool IsAllowed(SmtpState state, SmtpVerb verb) => Allowed[state].Contains(verb);

    /// <summary>The verb of a command line, case-insensitive (RFC 5321 2.4).</summary>
    public static SmtpVerb Parse(ReadOnlySpan<char> word) => word.Length switch
    {
        4 when word.Equals("HELO", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Helo,
        4 when word.Equals("EHLO", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Ehlo,
        4 when word.Equals("MAIL", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Mail,
        4 when word.Equals("RCPT", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Rcpt,
        4 when word.Equals("DATA", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Data,
        4 when word.Equals("BDAT", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Bdat,
        4 when word.Equals("RSET", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Rset,
        4 when word.Equals("NOOP", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Noop,
        4 when word.Equals("QUIT", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Quit,
        4 when word.Equals("VRFY", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Vrfy,
        4 when word.Equals("EXPN", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Expn,
        4 when word.Equals("HELP", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Help,
        4 when word.Equals("AUTH", StringComparison.OrdinalIgnoreCase) => SmtpVerb.Auth,
        8 when word.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase) => SmtpVerb.StartTls,
        _ => SmtpVerb.Unknown,
    };

    /// <summary>
    /// RFC 2920 section 3.1: these may only be the last command of a pipelined group; the client
    /// must wait for their reply before sending more.
    /// </summary>
    public static bool EndsPipelineGroup(SmtpVerb verb) => verb is SmtpVerb.Ehlo or SmtpVerb.Helo or SmtpVerb.Data
        or SmtpVerb.Vrfy or SmtpVerb.Expn or SmtpVerb.Quit or SmtpVerb.Noop or SmtpVerb.Auth or SmtpVerb.StartTls or SmtpVerb.Help;
}
