using System.Text;

namespace Appliance.Server.Tests.Imap.Selected;

/// <summary>
/// Huge and many-ranged sequence sets on a mailbox of 500 messages (issue 6, attacks): the answers
/// cover exactly the messages that exist, so the cost follows them and not the width of the ranges.
/// </summary>
public sealed class ImapSequenceSetAttackTests
{
    [Fact]
    public async Task Wide_and_fragmented_sets_answer_for_the_messages_that_exist()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        const int count = 500;
        for (int i = 1; i <= count; i++)
            await server.AppendAsync(ImapStoreTestServer.Message("m" + i));
        using var client = await server.LoginAsync();
        await client.CommandAsync("s", "SELECT INBOX");

        var wide = await client.CommandAsync("a", "UID FETCH 1:4294967295 (FLAGS)");
        Assert.Equal(count, wide.Count(l => l.Contains(" FETCH (", StringComparison.Ordinal)));
        Assert.Equal("a OK FETCH completed", wide[^1].Replace("UID FETCH", "FETCH"));

        // 20,000 ranges, most of them beyond the mailbox, in one command under the 64 KB line limit.
        var fragmented = new StringBuilder("1");
        for (uint n = 3; fragmented.Length < 60_000; n += 2)
            fragmented.Append(',').Append(n * 1000);
        var many = await client.CommandAsync("b", $"UID FETCH {fragmented} (UID)");
        Assert.Single(many, l => l.StartsWith("* 1 FETCH", StringComparison.Ordinal));
        Assert.StartsWith("b OK", many[^1]);

        // By sequence number, a number past the end is an error, not a loop.
        Assert.StartsWith("c BAD", (await client.CommandAsync("c", "FETCH 1:4294967295 (FLAGS)"))[^1]);
        var star = await client.CommandAsync("d", "FETCH 1:*,*:1,400:* (UID)");
        Assert.Equal(count, star.Count(l => l.Contains(" FETCH (", StringComparison.Ordinal)));

        var search = await client.CommandAsync("e", "UID SEARCH UID 1:4294967295 NOT UID 2:4294967295");
        Assert.Equal(["* SEARCH 1", "e OK SEARCH completed"], search.Select(l => l.Replace("UID SEARCH", "SEARCH")).ToList());

        var store = await client.CommandAsync("f", "UID STORE 1:4294967295 +FLAGS.SILENT (\\Seen)");
        Assert.StartsWith("f OK", store[^1]);
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").UnseenCount);
    }
}
