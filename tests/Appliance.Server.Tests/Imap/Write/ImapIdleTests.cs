using System.Diagnostics;
using Appliance.Storage.Mail;

using Appliance.Server.Tests.Imap.Selected;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// IDLE (RFC 2177, RFC 9051 6.3.13): changes arrive as they happen (the test waits on the socket, not on
/// a timer), DONE ends it, anything else is BAD, the autologout still applies, and it works unselected.
/// </summary>
public sealed class ImapIdleTests
{
    [Fact]
    public async Task Idle_reports_a_delivery_a_flag_change_and_an_expunge_as_they_happen()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        using var client = await server.LoginAsync();
        await client.SelectAsync();

        await client.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await client.ReadLineAsync());

        var clock = Stopwatch.StartNew();
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        Assert.Equal("* 2 EXISTS", await client.ReadLineAsync());
        // "Within a second" of the delivery, with room for a busy test machine; no polling interval exists.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"EXISTS after {clock.Elapsed}");

        server.AliceAccount.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Seen);
        Assert.Equal($"* 2 FETCH (UID {b} FLAGS (\\Seen))", await client.ReadLineAsync());

        server.AliceAccount.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");
        Assert.Equal($"* 1 FETCH (UID {a} FLAGS (\\Deleted))", await client.ReadLineAsync());
        Assert.Equal("* 1 EXPUNGE", await client.ReadLineAsync());

        // Changes to other mailboxes are not told.
        await server.AppendAsync(ImapStoreTestServer.Message("elsewhere"), mailbox: "Archive");
        Assert.Equal(["i OK IDLE terminated"], await client.CommandAsync("i", "DONE", raw: true));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
    }

    [Fact]
    public async Task Idle_tells_pending_changes_first_and_ends_with_bad_on_anything_but_done()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        await client.SelectAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("before"));

        await client.SendAsync("i IDLE\r\n");
        Assert.Equal("* 1 EXISTS", await client.ReadLineAsync());
        Assert.Equal("+ idling", await client.ReadLineAsync());
        Assert.Equal(["i BAD IDLE ends with DONE"], await client.CommandAsync("i", "NOOP", raw: true));
        Assert.Equal(["j BAD Syntax: IDLE takes no arguments"], await client.CommandAsync("j", "IDLE now"));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
    }

    [Fact]
    public async Task Idle_works_unselected_and_done_may_come_at_once_or_one_byte_at_a_time()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        // Pipelined: DONE is already buffered when IDLE starts.
        await client.SendAsync("i IDLE\r\nDONE\r\n");
        Assert.Equal("+ idling", await client.ReadLineAsync());
        Assert.Equal("i OK IDLE terminated", await client.ReadLineAsync());

        await client.SendAsync("j IDLE\r\n");
        Assert.Equal("+ idling", await client.ReadLineAsync());
        await server.AppendAsync(ImapStoreTestServer.Message("unseen by an unselected session"));
        foreach (char c in "done\r\n")
            await client.SendAsync(c.ToString());
        Assert.Equal("j OK IDLE terminated", await client.ReadLineAsync());
    }

    [Fact]
    public async Task A_quiet_idle_says_still_here_at_the_keepalive_interval_selected_or_not()
    {
        await using var server = await ImapStoreTestServer.StartAsync(imap => imap.IdleKeepaliveInterval = TimeSpan.FromMilliseconds(200));
        using var client = await server.LoginAsync();
        await client.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await client.ReadLineAsync());
        Assert.Equal("* OK Still here", await client.ReadLineAsync());
        Assert.Equal("* OK Still here", await client.ReadLineAsync());
        var done = await client.CommandAsync("i", "DONE", raw: true);
        Assert.Equal("i OK IDLE terminated", done[^1]);
        Assert.All(done[..^1], line => Assert.Equal("* OK Still here", line));

        await client.SelectAsync();
        await client.SendAsync("j IDLE\r\n");
        Assert.Equal("+ idling", await client.ReadLineAsync());
        await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var lines = new List<string>();
        while (lines.Count < 2 || lines[^1] != "* OK Still here")
            lines.Add((await client.ReadLineAsync())!);
        Assert.Contains("* 1 EXISTS", lines);
        Assert.All(lines, line => Assert.True(line is "* 1 EXISTS" or "* OK Still here", line));
        var end = await client.CommandAsync("j", "DONE", raw: true);
        Assert.Equal("j OK IDLE terminated", end[^1]);
        Assert.All(end[..^1], line => Assert.Equal("* OK Still here", line));
    }

    [Fact]
    public async Task Idle_is_ended_by_the_autologout_timer_and_by_the_deletion_of_its_mailbox()
    {
        await using var server = await ImapStoreTestServer.StartAsync(appliance: options => options.Listeners.Limits.ImapIdleTimeout = TimeSpan.FromSeconds(2));
        server.AliceAccount.CreateMailbox("Doomed");
        using (var client = await server.LoginAsync())
        {
            await client.SelectAsync();
            await client.SendAsync("i IDLE\r\n");
            Assert.Equal("+ idling", await client.ReadLineAsync());
            // Deliveries during IDLE do not renew the timer: only the client's input does (RFC 9051 5.4, RFC 2177 3).
            await server.AppendAsync(ImapStoreTestServer.Message("a"));
            Assert.Equal("* 1 EXISTS", await client.ReadLineAsync());
            Assert.Equal("* BYE Autologout; idle for too long", await client.ReadLineAsync());
            Assert.True(await client.Raw.IsClosedByServerAsync());
        }
        using var other = await server.LoginAsync();
        await other.SelectAsync("Doomed");
        await other.SendAsync("i IDLE\r\n");
        Assert.Equal("+ idling", await other.ReadLineAsync());
        server.AliceAccount.DeleteMailbox("Doomed");
        Assert.Equal("* BYE The selected mailbox was deleted by another session", await other.ReadLineAsync());
        Assert.True(await other.Raw.IsClosedByServerAsync());
    }
}
