using System.Text;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

using Appliance.Server.Tests.Imap.Selected;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// APPEND (RFC 9051 6.3.12; RFC 4315 APPENDUID; RFC 7888 LITERAL+; RFC 9208 OVERQUOTA; RFC 9051 7.1
/// TOOBIG) over a real socket: small literals, large streamed ones read back byte-exact from the
/// store, input one byte at a time, and hostile arguments.
/// </summary>
public sealed class ImapAppendTests
{
    private static string Syntax => "Syntax: APPEND mailbox [(flags)] [\"dd-Mon-yyyy hh:mm:ss +zzzz\"] {size}";

    [Fact]
    public async Task Append_with_flags_and_date_stores_the_message_and_answers_appenduid()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        var (validity, next, _) = server.Status("Archive");
        string message = ImapStoreTestServer.Message("appended");

        await client.SendAsync($"a APPEND Archive (\\Seen $Work) \" 2-Nov-2026 10:00:00 +0100\" {{{message.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        await client.SendAsync(message + "\r\n");
        Assert.Equal([$"a OK [APPENDUID {validity} {next}] APPEND completed"], await client.ReadUntilTaggedAsync("a"));

        var stored = server.AliceAccount.GetMessage("Archive", next);
        Assert.Equal(MessageFlags.Seen, stored.Flags);
        Assert.Equal(["$Work"], stored.Keywords);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero), stored.InternalDate);
        Assert.Equal(Encoding.ASCII.GetBytes(message), server.Read(next, "Archive"));

        // The mailbox may be a literal too.
        await client.SendAsync($"m APPEND {{7+}}\r\nArchive {{{message.Length}+}}\r\n{message}\r\n");
        Assert.Equal([$"m OK [APPENDUID {validity} {next + 1}] APPEND completed"], await client.ReadUntilTaggedAsync("m"));
        next++;

        // LITERAL+ (RFC 7888): no continuation; no flags or date: none and now.
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await client.SendAsync($"b APPEND Archive {{{message.Length}+}}\r\n{message}\r\n");
        Assert.Equal([$"b OK [APPENDUID {validity} {next + 1}] APPEND completed"], await client.ReadUntilTaggedAsync("b"));
        var second = server.AliceAccount.GetMessage("Archive", next + 1);
        Assert.Equal(MessageFlags.None, second.Flags);
        Assert.InRange(second.InternalDate, before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Append_of_a_literal8_stores_binary_content_byte_exact()
    {
        // RFC 3516 4.4: APPEND may carry the message as literal8 (~{n}), which may hold NUL.
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        var (validity, next, _) = server.Status("Archive");
        byte[] message = [.. Encoding.ASCII.GetBytes("Subject: binary\r\nContent-Transfer-Encoding: binary\r\n\r\n"), 0, 1, 2, 0xFF, 0, (byte)'\r', (byte)'\n'];

        await client.SendAsync($"a APPEND Archive ~{{{message.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.Equal([$"a OK [APPENDUID {validity} {next}] APPEND completed"], await client.ReadUntilTaggedAsync("a"));
        Assert.Equal(message, server.Read(next, "Archive"));

        // The same with LITERAL+ (RFC 7888 3 applies to literal8 too).
        await client.SendAsync($"b APPEND Archive ~{{{message.Length}+}}\r\n");
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.Equal([$"b OK [APPENDUID {validity} {next + 1}] APPEND completed"], await client.ReadUntilTaggedAsync("b"));
        Assert.Equal(message, server.Read(next + 1, "Archive"));
    }

    [Fact]
    public async Task Append_to_the_selected_mailbox_shows_exists_to_this_and_other_sessions()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("first"));
        using var one = await server.LoginAsync();
        using var two = await server.LoginAsync();
        await one.SelectAsync();
        await two.SelectAsync();
        var (validity, next, _) = server.Status();

        await one.SendAsync("a APPEND INBOX {5+}\r\nHello\r\n");
        Assert.Equal(["* 2 EXISTS", $"a OK [APPENDUID {validity} {next}] APPEND completed"], await one.ReadUntilTaggedAsync("a"));
        Assert.Equal(["* 2 EXISTS", "n OK NOOP completed"], await two.CommandAsync("n", "NOOP"));
        Assert.Equal("Hello"u8.ToArray(), server.Read(next));
    }

    [Fact]
    public async Task Append_to_a_mailbox_that_does_not_exist_says_trycreate_and_stores_nothing()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        await client.SendAsync("a APPEND Nowhere {5+}\r\nHello\r\n");
        Assert.Equal(["a NO [TRYCREATE] No such mailbox"], await client.ReadUntilTaggedAsync("a"));
        await client.SendAsync("b APPEND \"\" {5+}\r\nHello\r\n");
        Assert.Equal("b NO [", (await client.ReadUntilTaggedAsync("b"))[0][..6]);
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    [Theory]
    [InlineData("\"31-Feb-2026 10:00:00 +0000\"")]
    [InlineData("\"1-Jan-2026 10:00:00 +0000\"")]
    [InlineData("\"01-Foo-2026 10:00:00 +0000\"")]
    [InlineData("\"01-Jan-2026 24:00:00 +0000\"")]
    [InlineData("\"01-Jan-2026 10:00:60 +0000\"")]
    [InlineData("\"01-Jan-2026 10:00:00 +2400\"")]
    [InlineData("\"01-Jan-2026 10:00:00 +0060\"")]
    [InlineData("\"01-Jan-2026 10:00:00 0000\"")]
    [InlineData("\"01-Jan-2026 10:00:00 +0000 \"")]
    [InlineData("\"2026-01-01T10:00:00Z\"")]
    public async Task A_bad_date_time_is_bad_and_stores_nothing(string date)
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        await client.SendAsync($"a APPEND INBOX {date} {{5+}}\r\nHello\r\n");
        Assert.Equal(["a BAD Invalid date-time; " + Syntax], await client.ReadUntilTaggedAsync("a"));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    [Fact]
    public async Task Hostile_appends_are_refused_and_the_session_goes_on()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        await client.SendAsync("a APPEND INBOX (\\Recent) {5+}\r\nHello\r\n");
        Assert.Equal(["a BAD \\Recent cannot be stored"], await client.ReadUntilTaggedAsync("a"));
        await client.SendAsync("b APPEND INBOX (\\Seen \\Foo) {5+}\r\nHello\r\n");
        Assert.Equal(["b BAD \\Foo cannot be stored"], await client.ReadUntilTaggedAsync("b"));
        Assert.Equal(["c BAD " + Syntax], await client.CommandAsync("c", "APPEND INBOX \"Hello\""));
        Assert.Equal(["d BAD " + Syntax], await client.CommandAsync("d", "APPEND INBOX"));
        // MULTIAPPEND (RFC 3502) is not offered: a second message is refused, and the first is not kept.
        await client.SendAsync("e APPEND INBOX {5+}\r\nHello {5+}\r\nWorld\r\n");
        Assert.Equal(["e BAD " + Syntax + " (one message per APPEND)"], await client.ReadUntilTaggedAsync("e"));
        await client.SendAsync("f APPEND INBOX {0+}\r\n\r\n");
        Assert.Equal(["f NO [CANNOT] An empty message cannot be appended"], await client.ReadUntilTaggedAsync("f"));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    [Fact]
    public async Task A_literal_over_the_limit_is_refused_before_its_continuation_or_skipped_after_literal_plus()
    {
        await using var server = await ImapStoreTestServer.StartAsync(imap => imap.MaxLiteralSize = 64 * 1024);
        using var client = await server.LoginAsync();
        // RFC 9051 7.1 TOOBIG: no "+", so the client never sends the octets.
        Assert.Equal(["a NO [TOOBIG] Literals are limited to 65536 octets"], await client.CommandAsync("a", "APPEND INBOX {65537}"));
        // {n+}: the octets come anyway and are skipped (RFC 7888: the reader's BAD for a non-synchronizing literal over the limit).
        await client.SendAsync("b APPEND INBOX {65537+}\r\n" + new string('x', 65537) + "\r\n");
        Assert.Equal(["b BAD Non-synchronizing literals are limited to 65536 octets"], await client.ReadUntilTaggedAsync("b"));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    /// <summary>A message of about <paramref name="size"/> octets: headers, then numbered lines with all 256 octet values but NUL, CR and LF.</summary>
    private static byte[] LargeMessage(int size)
    {
        var data = new MemoryStream();
        data.Write(Encoding.ASCII.GetBytes(ImapStoreTestServer.Message("large").Replace("Hello\r\n", "")));
        var random = new Random(7);
        int line = 0;
        while (data.Length < size - 100)
        {
            data.Write(Encoding.ASCII.GetBytes($"{line++:D8} "));
            for (int i = 0; i < 70; i++)
            {
                byte b = (byte)random.Next(1, 256);
                data.WriteByte(b is (byte)'\r' or (byte)'\n' ? (byte)'.' : b);
            }
            data.Write("\r\n"u8);
        }
        return data.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_3_MB_message_is_streamed_to_the_store_byte_exact(bool literalPlus)
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        await client.SelectAsync();
        var (validity, next, _) = server.Status();
        var message = LargeMessage(3 * 1024 * 1024);
        Assert.True(message.Length > 3_000_000);

        await client.SendAsync($"a APPEND INBOX (\\Flagged) {{{message.Length}{(literalPlus ? "+" : "")}}}\r\n");
        if (!literalPlus)
            Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        for (int offset = 0; offset < message.Length; offset += 100_000)
            await client.SendBytesAsync(message.AsMemory(offset, Math.Min(100_000, message.Length - offset)));
        await client.SendAsync("\r\n");
        Assert.Equal(["* 1 EXISTS", $"a OK [APPENDUID {validity} {next}] APPEND completed"], await client.ReadUntilTaggedAsync("a"));

        Assert.Equal(message, server.Read(next));
        Assert.Equal(MessageFlags.Flagged, server.AliceAccount.GetMessage("INBOX", next).Flags);
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
    }

    [Fact]
    public async Task A_streamed_message_for_a_missing_mailbox_or_over_quota_is_read_and_dropped()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.SetQuotaAsync(1024 * 1024);
        using var client = await server.LoginAsync();
        var message = LargeMessage(600 * 1024);

        await client.SendAsync($"a APPEND Nowhere {{{message.Length}+}}\r\n");
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.Equal(["a NO [TRYCREATE] No such mailbox"], await client.ReadUntilTaggedAsync("a"));

        await client.SendAsync($"b APPEND INBOX {{{message.Length}+}}\r\n");
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.StartsWith("b OK [APPENDUID ", (await client.ReadUntilTaggedAsync("b"))[0]);

        await client.SendAsync($"c APPEND INBOX {{{message.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.Equal([$"c NO [OVERQUOTA] Over quota: {(message.Length + 1023) / 1024} of 1024 KiB used"], await client.ReadUntilTaggedAsync("c"));
        Assert.Equal(1, server.AliceAccount.GetMailbox("INBOX").MessageCount);

        // Only APPEND's message may be streamed: another command's large literal is read and refused.
        await client.SendAsync($"d SEARCH TEXT {{{message.Length}+}}\r\n");
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.Equal(["d NO [TOOBIG] Only APPEND's message may exceed 262144 octets"], await client.ReadUntilTaggedAsync("d"));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
    }

    [Fact]
    public async Task A_connection_lost_in_the_middle_of_a_streamed_message_leaves_nothing()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var message = LargeMessage(2 * 1024 * 1024);
        using (var client = await server.LoginAsync())
        {
            await client.SendAsync($"a APPEND INBOX {{{message.Length}+}}\r\n");
            await client.SendBytesAsync(message.AsMemory(0, message.Length / 2));
            // The store has begun its tmp/ file by now: the first half went through the pipe.
            await WaitUntilAsync(() => TmpFiles(server).Count > 0);
        }
        // The session's end aborts the upload: the store deletes its tmp/ file and commits nothing.
        await WaitUntilAsync(() => TmpFiles(server).Count == 0);
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);
        // A later session of the same user works.
        using var again = await server.LoginAsync();
        await again.SendAsync("b APPEND INBOX {5+}\r\nHello\r\n");
        Assert.StartsWith("b OK [APPENDUID ", (await again.ReadUntilTaggedAsync("b"))[0]);
        Assert.Equal(1, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    /// <summary>Files in any Maildir tmp/ folder of the store: half-written appends.</summary>
    private static List<string> TmpFiles(ImapStoreTestServer server)
    {
        string root = server.Services.GetRequiredService<MessageStore>().Root;
        return [.. Directory.EnumerateDirectories(root, "tmp", SearchOption.AllDirectories).SelectMany(Directory.EnumerateFiles)];
    }

    /// <summary>Waits for the server side of a closed connection to finish its clean-up, which no message on the wire announces.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_second_streamed_message_in_one_append_is_bad_and_neither_is_stored()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        var message = LargeMessage(300 * 1024);
        await client.SendAsync($"a APPEND INBOX {{{message.Length}+}}\r\n");
        await client.SendBytesAsync(message);
        await client.SendAsync($" {{{message.Length}+}}\r\n");
        await client.SendBytesAsync(message);
        await client.SendAsync("\r\n");
        Assert.Equal(["a BAD One message per APPEND (MULTIAPPEND is not supported)"], await client.ReadUntilTaggedAsync("a"));
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);
        Assert.Empty(TmpFiles(server));
    }

    [Fact]
    public async Task Append_sent_one_byte_at_a_time_works()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        var (validity, next, _) = server.Status();
        string message = ImapStoreTestServer.Message("trickled");
        foreach (char c in $"a APPEND INBOX (\\Answered) \"02-Nov-2026 10:00:00 -0230\" {{{message.Length}}}\r\n")
            await client.SendAsync(c.ToString());
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        foreach (char c in message + "\r\n")
            await client.SendAsync(c.ToString());
        Assert.Equal([$"a OK [APPENDUID {validity} {next}] APPEND completed"], await client.ReadUntilTaggedAsync("a"));
        Assert.Equal(Encoding.ASCII.GetBytes(message), server.Read(next));
        var stored = server.AliceAccount.GetMessage("INBOX", next);
        Assert.Equal(MessageFlags.Answered, stored.Flags);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 12, 30, 0, TimeSpan.Zero), stored.InternalDate);
    }
}
