// RFC 9051 section 3 (states and flow diagram) and section 6 (commands by state: 6.1 any state,
// 6.2 not authenticated, 6.3 authenticated, 6.4 selected); RFC 3501 6.3.9 (LSUB) and 6.4.1 (CHECK)
// for rev1 clients; RFC 5161 section 3.1 (ENABLE only before a mailbox is selected); RFC 2971 (ID,
// any state); RFC 9208 (GETQUOTA, GETQUOTAROOT); RFC 2177 (IDLE); RFC 3691 (UNSELECT); RFC 6851
// (MOVE); RFC 5256 (SORT, THREAD); RFC 4315 section 2.1 (UID EXPUNGE).
namespace Appliance.Server.Imap;

internal enum ImapVerb
{
    Unknown,
    // any state (RFC 9051 6.1; ID from RFC 2971)
    Capability,
    Noop,
    Logout,
    Id,
    // not authenticated (6.2)
    StartTls,
    Authenticate,
    Login,
    // authenticated (6.3)
    Enable,
    Select,
    Examine,
    Create,
    Delete,
    Rename,
    Subscribe,
    Unsubscribe,
    List,
    Lsub,
    Namespace,
    Status,
    Append,
    Idle,
    GetQuota,
    GetQuotaRoot,
    /// <summary>RFC 9208 4.1.1: exists, and is refused with NO (limits are the administrator's), not BAD as an unknown command.</summary>
    SetQuota,
    // selected (6.4)
    Check,
    Close,
    Unselect,
    Expunge,
    Search,
    Fetch,
    Store,
    Copy,
    Move,
    Uid,
    Sort,
    Thread,
}

/// <summary>RFC 9051 section 3: where a session is between commands.</summary>
internal enum ImapState
{
    NotAuthenticated,
    Authenticated,
    Selected,
    /// <summary>After LOGOUT or a BYE: no command is read any more.</summary>
    Logout,
}

/// <summary>Which commands each state allows; a command outside its state gets BAD (RFC 9051 section 6: "invalid in this state").</summary>
internal static class ImapCommandTable
{
    private static readonly ImapVerb[] AnyState = [ImapVerb.Capability, ImapVerb.Noop, ImapVerb.Logout, ImapVerb.Id];

    private static readonly ImapVerb[] AuthenticatedOnly =
    [
        ImapVerb.Select, ImapVerb.Examine, ImapVerb.Create, ImapVerb.Delete, ImapVerb.Rename,
        ImapVerb.Subscribe, ImapVerb.Unsubscribe, ImapVerb.List, ImapVerb.Lsub, ImapVerb.Namespace,
        ImapVerb.Status, ImapVerb.Append, ImapVerb.Idle, ImapVerb.GetQuota, ImapVerb.GetQuotaRoot, ImapVerb.SetQuota,
    ];

    private static readonly Dictionary<ImapState, HashSet<ImapVerb>> Allowed = new()
    {
        [ImapState.NotAuthenticated] = [.. AnyState, ImapVerb.StartTls, ImapVerb.Authenticate, ImapVerb.Login],
        // RFC 5161 3.1: ENABLE "is only valid in the authenticated state, before any mailbox is selected".
        [ImapState.Authenticated] = [.. AnyState, .. AuthenticatedOnly, ImapVerb.Enable],
        // RFC 9051 6.4: the selected state adds message commands to the authenticated ones. CHECK is
        // RFC 3501 6.4.1 (gone from rev2, which tells clients to use NOOP; answered like NOOP).
        [ImapState.Selected] =
        [
            .. AnyState, .. AuthenticatedOnly,
            ImapVerb.Check, ImapVerb.Close, ImapVerb.Unselect, ImapVerb.Expunge, ImapVerb.Search, ImapVerb.Fetch,
            ImapVerb.Store, ImapVerb.Copy, ImapVerb.Move, ImapVerb.Uid, ImapVerb.Sort, ImapVerb.Thread,
        ],
        [ImapState.Logout] = [],
    };

    private static readonly Dictionary<string, ImapVerb> Names = Enum.GetValues<ImapVerb>()
        .Where(v => v != ImapVerb.Unknown)
        .ToDictionary(v => v.ToString().ToUpperInvariant(), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// RFC 9051 section 9: uid = "UID" SP (copy / move / fetch / search / store / uid-expunge), and RFC 5256
    /// section 3: UID SORT, UID THREAD.
    /// </summary>
    private static readonly HashSet<ImapVerb> UidCommands = [ImapVerb.Copy, ImapVerb.Move, ImapVerb.Fetch, ImapVerb.Search, ImapVerb.Store, ImapVerb.Expunge, ImapVerb.Sort, ImapVerb.Thread];

    public static bool IsAllowed(ImapState state, ImapVerb verb) => Allowed[state].Contains(verb);

    /// <summary>The commands a state allows (for tests and CAPABILITY-style listings).</summary>
    public static IReadOnlySet<ImapVerb> AllowedIn(ImapState state) => Allowed[state];

    /// <summary>A command name, case-insensitive (RFC 9051 section 9, note 1).</summary>
    public static ImapVerb Parse(string name) => Names.GetValueOrDefault(name, ImapVerb.Unknown);

    /// <summary>Whether "UID <paramref name="verb"/>" exists.</summary>
    public static bool IsUidCommand(ImapVerb verb) => UidCommands.Contains(verb);
}
