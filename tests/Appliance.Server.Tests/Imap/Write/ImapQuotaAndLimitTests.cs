using Appliance.Server.Tests.Imap.Selected;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// QUOTA (RFC 9208: GETQUOTAROOT, GETQUOTA, SETQUOTA refused, STORAGE in KiB, OVERQUOTA on APPEND) and
/// the per-user connection limit at login (ImapServerOptions.MaxConnectionsPerUser), over real sockets.
/// </summary>
public sealed class ImapQuotaAndLimitTests
{
    [Fact]
    public async Task Quota_root_and_usage_come_from_the_account_quota()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("a", new string('x', 3000)));
        long used = server.AliceAccount.GetQuotaUsage();
        using var client = await server.LoginAsync();

        // No limit: the mailbox has no quota root (a QUOTA response needs at least one resource).
        Assert.Equal(["* QUOTAROOT INBOX", "a OK GETQUOTAROOT completed"], await client.CommandAsync("a", "GETQUOTAROOT INBOX"));
        Assert.Equal(["b NO [NONEXISTENT] No such quota root"], await client.CommandAsync("b", "GETQUOTA \"\""));

        await server.SetQuotaAsync(100 * 1024);
        string quota = $"* QUOTA \"\" (STORAGE {(used + 1023) / 1024} 100)";
        Assert.Equal(["* QUOTAROOT Archive \"\"", quota, "c OK GETQUOTAROOT completed"], await client.CommandAsync("c", "GETQUOTAROOT Archive"));
        Assert.Equal([quota, "d OK GETQUOTA completed"], await client.CommandAsync("d", "GETQUOTA \"\""));
        Assert.Equal(["e NO [NONEXISTENT] No such quota root"], await client.CommandAsync("e", "GETQUOTA user"));
        Assert.Equal(["f NO [NONEXISTENT] No such mailbox"], await client.CommandAsync("f", "GETQUOTAROOT Nowhere"));
        Assert.Equal(["g NO [NOPERM] Quotas are set by the administrator"], await client.CommandAsync("g", "SETQUOTA \"\" (STORAGE 1000000)"));
        Assert.Equal(["h BAD Syntax: GETQUOTAROOT mailbox"], await client.CommandAsync("h", "GETQUOTAROOT"));
        Assert.Equal(["i BAD Syntax: GETQUOTA quota-root"], await client.CommandAsync("i", "GETQUOTA"));
    }

    [Fact]
    public async Task Append_over_quota_is_refused_and_one_that_fits_is_stored()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.SetQuotaAsync(2048);
        using var client = await server.LoginAsync();
        string fits = new('x', 2000);
        await client.SendAsync($"a APPEND INBOX {{{fits.Length}+}}\r\n{fits}\r\n");
        Assert.StartsWith("a OK [APPENDUID ", (await client.ReadUntilTaggedAsync("a"))[0]);
        await client.SendAsync("b APPEND INBOX {100+}\r\n" + new string('y', 100) + "\r\n");
        Assert.Equal(["b NO [OVERQUOTA] Over quota: 2 of 2 KiB used"], await client.ReadUntilTaggedAsync("b"));
        Assert.Equal(1, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    [Fact]
    public async Task A_login_over_the_per_user_limit_gets_no_and_bye_and_a_slot_is_freed_at_logout()
    {
        await using var server = await ImapStoreTestServer.StartAsync(imap => imap.MaxConnectionsPerUser = 2);
        using var one = await server.LoginAsync();
        using var two = await server.LoginAsync();
        using var bob = await server.LoginAsync(ImapStoreTestServer.Bob);

        using (var three = await server.ConnectAsync())
        {
            Assert.Equal(
            [
                "l NO [LIMIT] Too many connections for this user (at most 2); close another mail client first",
                "* BYE Too many connections for this user",
            ], await three.CommandAsync("l", $"LOGIN {ImapStoreTestServer.Alice} \"{ImapStoreTestServer.Password}\"", untilEnd: true));
        }

        Assert.Equal(["* BYE Appliance IMAP server logging out", "o OK LOGOUT completed"], await one.CommandAsync("o", "LOGOUT", untilEnd: true));
        using var four = await server.LoginAsync();
        Assert.Equal(["n OK NOOP completed"], await four.CommandAsync("n", "NOOP"));
    }
}
