// RFC 1939 section 3 (AUTHORIZATION, TRANSACTION, UPDATE states) and the commands of sections 5-7;
// RFC 2449 (CAPA), RFC 2595 section 4 (STLS), RFC 5034 (AUTH).
namespace Appliance.Server.Pop3;

internal enum Pop3State
{
    /// <summary>Before login (RFC 1939 4).</summary>
    Authorization,
    /// <summary>Logged in, the maildrop is open (RFC 1939 5).</summary>
    Transaction,
}

internal enum Pop3Verb
{
    Unknown,
    Capa,
    Stls,
    User,
    Pass,
    Auth,
    Apop,
    Stat,
    List,
    Uidl,
    Top,
    Retr,
    Dele,
    Rset,
    Noop,
    Quit,
}

/// <summary>Which commands each state allows; anything else is "-ERR" naming the state.</summary>
internal static class Pop3CommandTable
{
    private static readonly Dictionary<Pop3State, HashSet<Pop3Verb>> Allowed = new()
    {
        [Pop3State.Authorization] = [Pop3Verb.Capa, Pop3Verb.Stls, Pop3Verb.User, Pop3Verb.Pass, Pop3Verb.Auth, Pop3Verb.Apop, Pop3Verb.Noop, Pop3Verb.Quit],
        [Pop3State.Transaction] = [Pop3Verb.Capa, Pop3Verb.Stat, Pop3Verb.List, Pop3Verb.Uidl, Pop3Verb.Top, Pop3Verb.Retr, Pop3Verb.Dele, Pop3Verb.Rset, Pop3Verb.Noop, Pop3Verb.Quit],
    };

    public static bool IsAllowed(Pop3State state, Pop3Verb verb) => Allowed[state].Contains(verb);

    /// <summary>A keyword is 3 or 4 letters, case-insensitive (RFC 1939 section 3).</summary>
    public static Pop3Verb Parse(ReadOnlySpan<char> word) =>
        word.Length is 3 or 4 && !word.ContainsAnyExcept(LettersOnly)
            && Enum.TryParse<Pop3Verb>(word, ignoreCase: true, out var verb) && verb != Pop3Verb.Unknown
            ? verb
            : Pop3Verb.Unknown;

    private static readonly System.Buffers.SearchValues<char> LettersOnly =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
