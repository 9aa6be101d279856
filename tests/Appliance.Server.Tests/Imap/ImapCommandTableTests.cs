using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

public sealed class ImapCommandTableTests
{
    private static string[] Names(ImapState state) => [.. ImapCommandTable.AllowedIn(state).Select(v => v.ToString().ToUpperInvariant()).Order()];

    private static string[] Sorted(params string[] names) => [.. names.Order()];

    /// <summary>RFC 9051 section 6, command by command (plus LSUB and CHECK for rev1, ID any state, QUOTA).</summary>
    [Fact]
    public void The_table_matches_rfc_9051_section_6()
    {
        string[] any = ["CAPABILITY", "NOOP", "LOGOUT", "ID"];
        string[] authenticated = ["SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND", "IDLE", "GETQUOTA", "GETQUOTAROOT", "SETQUOTA"];
        string[] selected = ["CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "SORT", "THREAD"];
        Assert.Equal(Sorted([.. any, "STARTTLS", "AUTHENTICATE", "LOGIN"]), Names(ImapState.NotAuthenticated));
        Assert.Equal(Sorted([.. any, .. authenticated, "ENABLE"]), Names(ImapState.Authenticated));
        Assert.Equal(Sorted([.. any, .. authenticated, .. selected]), Names(ImapState.Selected));
        Assert.Empty(Names(ImapState.Logout));
    }

    [Fact]
    public void Every_verb_is_allowed_somewhere()
    {
        foreach (var verb in Enum.GetValues<ImapVerb>().Where(v => v != ImapVerb.Unknown))
            Assert.Contains(Enum.GetValues<ImapState>(), s => ImapCommandTable.IsAllowed(s, verb));
    }

    [Theory]
    [InlineData("fetch", "Fetch")]
    [InlineData("GetQuotaRoot", "GetQuotaRoot")]
    [InlineData("STARTTLS", "StartTls")]
    [InlineData("XLIST", "Unknown")]
    [InlineData("UNKNOWN", "Unknown")]
    [InlineData("", "Unknown")]
    public void Names_parse_case_insensitively(string name, string verb) => Assert.Equal(Enum.Parse<ImapVerb>(verb), ImapCommandTable.Parse(name));

    [Fact]
    public void Login_is_refused_after_login_and_fetch_before_select()
    {
        Assert.False(ImapCommandTable.IsAllowed(ImapState.Authenticated, ImapVerb.Login));
        Assert.False(ImapCommandTable.IsAllowed(ImapState.Selected, ImapVerb.Authenticate));
        Assert.False(ImapCommandTable.IsAllowed(ImapState.Authenticated, ImapVerb.Fetch));
        Assert.False(ImapCommandTable.IsAllowed(ImapState.NotAuthenticated, ImapVerb.Select));
        Assert.False(ImapCommandTable.IsAllowed(ImapState.Selected, ImapVerb.Enable)); // RFC 5161 3.1
        Assert.True(ImapCommandTable.IsAllowed(ImapState.Selected, ImapVerb.Select));
    }

    [Fact]
    public void Uid_prefixes_only_the_message_commands()
    {
        Assert.Equal(
            Sorted("COPY", "MOVE", "FETCH", "SEARCH", "STORE", "EXPUNGE", "SORT", "THREAD"),
            Sorted([.. Enum.GetValues<ImapVerb>().Where(ImapCommandTable.IsUidCommand).Select(v => v.ToString().ToUpperInvariant())]));
    }
}
