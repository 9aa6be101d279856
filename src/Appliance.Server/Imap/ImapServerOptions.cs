// RFC 9051 (IMAP4rev2) and RFC 3501 (IMAP4rev1): the limits the server applies. RFC 9051 sets few
// numbers itself; section 4 ("Data Formats") leaves line and literal sizes to the server, and RFC
// 7889 (APPENDLIMIT) / RFC 7888 (LITERAL-) name the two that clients can see.
namespace Appliance.Server.Imap;

/// <summary>
/// Limits and policies of the IMAP server (Appliance:Imap), for ports 143 and 993 alike. Each
/// default says where it comes from.
/// </summary>
public sealed class ImapServerOptions
{
    /// <summary>
    /// Longest command text, CRLFs included, literal data not counted: the lines before, between and
    /// after literals count together, so a command of many literals cannot hold many long lines
    /// (the reader re-reads a command as each literal arrives). The 64 KB; RFC 7162 section 4 asks servers to accept
    /// at least 8192 octets, since CONDSTORE/QRESYNC clients send long UID sets. Dovecot's
    /// imap_max_line_length is 64 KB as well.
    /// </summary>
    public int MaxCommandLineLength { get; set; } = 64 * 1024;

    /// <summary>
    /// Largest literal (and largest sum of literals in one command) after login, in octets: the
    /// message size limit, the same 50 MB as SMTP's default, so anything delivered can be APPENDed
    /// back. Advertised as APPENDLIMIT (RFC 7889); a larger synchronizing literal is refused with
    /// NO [TOOBIG] before the continuation (RFC 9051 section 7.1).
    /// </summary>
    public long MaxLiteralSize { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// Largest literal before login: the LITERAL- cap of RFC 7888 section 4 (4096 octets), which the
    /// issue applies to every literal before authentication. LOGIN's user name and password fit.
    /// </summary>
    public int MaxLiteralSizeBeforeLogin { get; set; } = 4096;

    /// <summary>
    /// Largest non-synchronizing literal ({n+}) after login. RFC 7888 LITERAL+ allows any size; we
    /// allow up to <see cref="MaxLiteralSize"/>. Before login LITERAL- (RFC 7888 section 4) caps it
    /// at 4096 and a larger one is refused with BAD and its octets skipped.
    /// </summary>
    public const int LiteralMinusLimit = 4096;

    /// <summary>
    /// Deepest nesting of parenthesized lists after login. The deepest real command is a SEARCH with
    /// nested OR/NOT groups or a multi-level APPEND CATENATE; Dovecot has no limit, mox none; 32 keeps
    /// recursion bounded with room for real clients.
    /// </summary>
    public int MaxNestingDepth { get; set; } = 32;

    /// <summary>
    /// Deepest nesting before login: only ID ("(" key value ... ")") and AUTHENTICATE/LOGIN arguments
    /// exist then, so one level is used; 4 leaves slack and makes a nesting bomb cost nothing.
    /// </summary>
    public int MaxNestingDepthBeforeLogin { get; set; } = 4;

    /// <summary>
    /// Arguments per command, every item of every list counted (a FETCH with all attributes has about
    /// 30; a SEARCH with many OR terms a few hundred). 1000 bounds the per-command work and the
    /// number of literals one command can hold.
    /// </summary>
    public int MaxArguments { get; set; } = 1000;

    /// <summary>Arguments per command before login: LOGIN has two, ID at most 30 pairs (RFC 2971 3.3), so 64.</summary>
    public int MaxArgumentsBeforeLogin { get; set; } = 64;

    /// <summary>
    /// Literal octets one command may hold in memory. A top-level literal that would go past it (APPEND's
    /// message) is streamed to the session instead, so the connection's input buffer never has to hold
    /// it: Kestrel's socket transport pauses reading at 1 MB of unconsumed input
    /// (SocketTransportOptions.MaxReadBufferSize), and a reader waiting for a whole 50 MB literal would
    /// wait forever. A literal inside a list that would go past it is refused with NO [TOOBIG]. 256 KB
    /// fits any SEARCH, LOGIN or ID many times over.
    /// </summary>
    public int MaxBufferedLiterals { get; set; } = 256 * 1024;

    /// <summary>Idle time after login before the session is closed: RFC 9051 section 5.4 says at least 30 minutes.</summary>
    public TimeSpan AutologoutAfterLogin { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Idle time before login: RFC 9051 5.4 lets the server be much shorter for unauthenticated
    /// connections; Dovecot's login processes wait a minute (its default auth timeout), mox 30 s. One minute.
    /// </summary>
    public TimeSpan AutologoutBeforeLogin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Delay before answering a failed LOGIN or AUTHENTICATE: Dovecot's auth_failure_delay, 2 seconds (as SMTP's AuthFailureDelay).</summary>
    public TimeSpan FailedLoginDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed logins in one connection before it is closed: SMTP's limit of 3 (Dovecot closes after a few as well).</summary>
    public int MaxFailedLogins { get; set; } = 3;

    /// <summary>
    /// Simultaneous IMAP connections of one user: Dovecot's mail_max_userip_connections, 10 per user
    /// and IP; phones, desktop clients and webmail together stay well below. We count per user (20);
    /// connections per IP address are the listener's limit (Appliance:Listeners:Limits:ImapConnectionsPerAddress).
    /// </summary>
    public int MaxConnectionsPerUser { get; set; } = 20;


    /// <summary>Protocol errors (BAD replies) in one session before it is closed: SMTP's MaxErrors, Postfix's smtpd_hard_error_limit, 20.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>The reader's limits in a state: tiny before login, generous after.</summary>
    internal ImapReadLimits ReadLimits(bool authenticated) => authenticated
        ? new ImapReadLimits(MaxCommandLineLength, MaxLiteralSize, MaxLiteralSize, MaxNestingDepth, MaxArguments, MaxBufferedLiterals)
        : new ImapReadLimits(MaxCommandLineLength, MaxLiteralSizeBeforeLogin, Math.Min(LiteralMinusLimit, MaxLiteralSizeBeforeLogin), MaxNestingDepthBeforeLogin, MaxArgumentsBeforeLogin, MaxBufferedLiterals);

    /// <summary>Fails start-up with the setting's name, and refuses values below what the RFCs require servers to accept.</summary>
    internal void Validate()
    {
        const string Prefix = "Appliance:Imap:";
        var errors = new List<string>();
        void AtLeast(string name, long value, long minimum, string why)
        {
            if (value < minimum)
                errors.Add($"{Prefix}{name} must be at least {minimum} ({why}); it is {value}.");
        }
        AtLeast(nameof(MaxCommandLineLength), MaxCommandLineLength, 8192, "RFC 7162 section 4");
        AtLeast(nameof(MaxLiteralSize), MaxLiteralSize, 64 * 1024, "a message must fit");
        AtLeast(nameof(MaxLiteralSizeBeforeLogin), MaxLiteralSizeBeforeLogin, 256, "a password must fit");
        AtLeast(nameof(MaxNestingDepth), MaxNestingDepth, 4, "SEARCH and FETCH nest lists");
        AtLeast(nameof(MaxNestingDepthBeforeLogin), MaxNestingDepthBeforeLogin, 1, "ID sends one list");
        AtLeast(nameof(MaxArguments), MaxArguments, 100, "FETCH and SEARCH have many arguments");
        AtLeast(nameof(MaxBufferedLiterals), MaxBufferedLiterals, MaxLiteralSizeBeforeLogin, "a LOGIN password must fit in memory");
        AtLeast(nameof(MaxArgumentsBeforeLogin), MaxArgumentsBeforeLogin, 8, "LOGIN and ID must fit");
        AtLeast(nameof(MaxFailedLogins), MaxFailedLogins, 1, "a mistyped password is not an attack");
        AtLeast(nameof(MaxConnectionsPerUser), MaxConnectionsPerUser, 1, "a count");
        AtLeast(nameof(MaxErrors), MaxErrors, 1, "a session needs room for one mistake");
        AtLeast(nameof(MaxSearchDepth), MaxSearchDepth, 1, "a SEARCH has at least one level");
        AtLeast(nameof(FetchStructureCacheBytes), FetchStructureCacheBytes, 0, "0 turns the cache off");
        AtLeast(nameof(FetchEnvelopeCacheBytes), FetchEnvelopeCacheBytes, 0, "0 turns the cache off");
        if (AutologoutAfterLogin < TimeSpan.FromMinutes(30))
            errors.Add($"{Prefix}{nameof(AutologoutAfterLogin)} must be at least 30 minutes (RFC 9051 section 5.4); it is {AutologoutAfterLogin}.");
        foreach (var (name, value) in new[]
        {
            (nameof(AutologoutAfterLogin), AutologoutAfterLogin),
            (nameof(AutologoutBeforeLogin), AutologoutBeforeLogin),
            (nameof(FailedLoginDelay), FailedLoginDelay),
            (nameof(IdleKeepaliveInterval), IdleKeepaliveInterval),
        })
        {
            if (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
                errors.Add($"{Prefix}{name} must be a time span from 0 to 24 days (it is {value}).");
        }
        if (errors.Count > 0)
            throw new Configuration.ApplianceConfigurationException(string.Join(Environment.NewLine, errors));
    }

    // SEARCH
    /// <summary>
    /// Deepest nesting of SEARCH, SORT and THREAD criteria, counting each NOT, OR and parenthesized
    /// list as a level. The reader's <see cref="MaxNestingDepth"/> bounds only lists, not "NOT NOT
    /// NOT ...", and parser and evaluator recurse per level. 100 is our choice (Postfix's MIME nesting
    /// limit): real clients nest a handful of levels; values under 1 are treated as 1.
    /// </summary>
    public int MaxSearchDepth { get; set; } = 100;

    // WRITE: options of the commands that change mail, IDLE and QUOTA.

    /// <summary>
    /// How long an idling session stays silent before it writes "* OK Still here" (RFC 2177 leaves this
    /// to the server), so that NAT and firewall state survives a quiet mailbox: Dovecot's
    /// imap_idle_notify_interval, 2 minutes. It does not renew the autologout timer; zero turns it off;
    /// more than a day counts as a day.
    /// </summary>
    public TimeSpan IdleKeepaliveInterval { get; set; } = TimeSpan.FromMinutes(2);

    // FETCH
    /// <summary>
    /// Estimated bytes of parsed message structure (MIME trees with their part headers) that FETCH
    /// keeps in memory for all sessions, least recently used first out; 0 keeps none. Our choice:
    /// Dovecot keeps BODYSTRUCTURE in its on-disk index cache rather than in memory; 32 MB holds the
    /// trees of tens of thousands of typical messages (a few KB each), enough for a client's initial
    /// sync of a large mailbox to parse each message once.
    /// </summary>
    public long FetchStructureCacheBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Estimated bytes of ENVELOPE texts that FETCH keeps in memory for messages whose structure is
    /// not cached, least recently used first out; 0 keeps none. Dovecot keeps the header fields an
    /// ENVELOPE needs in its on-disk index cache once a client has asked for them; ours are in memory.
    /// A typical envelope is 300 to 600 characters (about 1 KB as a string), so 32 MB holds those of
    /// some 30,000 messages: a client's resynchronisation of three 10,000-message mailboxes (issue 6's
    /// benchmark mailbox) reads each header once.
    /// </summary>
    public long FetchEnvelopeCacheBytes { get; set; } = 32L * 1024 * 1024;
}

/// <summary>The limits the command reader applies in one state (see <see cref="ImapServerOptions.ReadLimits"/>).</summary>
/// <param name="MaxLineLength">Longest command text, all its lines with their CRLFs, literal data not counted.</param>
/// <param name="MaxLiteralSize">Largest literal, and largest sum of one command's literals.</param>
/// <param name="MaxNonSyncLiteralSize">Largest non-synchronizing literal {n+} (RFC 7888: 4096 under LITERAL-).</param>
/// <param name="MaxDepth">Deepest nesting of parenthesized lists.</param>
/// <param name="MaxArguments">Arguments per command, list items included.</param>
/// <param name="MaxBufferedLiterals">Literal octets held in memory per command; a larger top-level literal is streamed.</param>
internal readonly record struct ImapReadLimits(int MaxLineLength, long MaxLiteralSize, long MaxNonSyncLiteralSize, int MaxDepth, int MaxArguments, long MaxBufferedLiterals);
