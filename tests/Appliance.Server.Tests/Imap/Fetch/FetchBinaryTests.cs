using Appliance.Server.Tests.Imap.Selected;
using Appliance.Storage.Mail;
using static Appliance.Server.Tests.Imap.Fetch.FetchTestSupport;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>BINARY, BINARY.PEEK and BINARY.SIZE (RFC 3516; RFC 9051 6.4.5): decoded content, literal8, UNKNOWN-CTE.</summary>
public sealed class FetchBinaryTests
{
    [Fact]
    public async Task Base64_content_with_nul_goes_as_literal8_and_quoted_printable_as_a_literal()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        // AAECAwBm is 00 01 02 03 00 66: NUL needs literal8 (RFC 3516 4.2).
        Assert.Equal(["* 1 FETCH (BINARY[2] ~{6}", "\0\u0001\u0002\u0003\0f)", "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 BINARY.PEEK[2]"));
        Assert.Equal(["* 1 FETCH (BINARY[3.1] {5}", "x=y z)", "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 BINARY.PEEK[3.1]"));
        Assert.Equal(["* 1 FETCH (BINARY.SIZE[2] 6 BINARY.SIZE[3.1] 5 BINARY.SIZE[1] 5)", "c OK FETCH completed"],
            await client.CommandAsync("c", "FETCH 1 (BINARY.SIZE[2] BINARY.SIZE[3.1] BINARY.SIZE[1])"));
        Assert.Equal(["* 1 FETCH (BINARY[2]<1> ~{3}", "\u0001\u0002\u0003)", "d OK FETCH completed"], await client.CommandAsync("d", "FETCH 1 BINARY.PEEK[2]<1.3>"));
        Assert.Equal(["* 1 FETCH (BINARY[3.1]<5> \"\")", "e OK FETCH completed"], await client.CommandAsync("e", "FETCH 1 BINARY.PEEK[3.1]<5.1>"));
        Assert.Equal(MessageFlags.None, server.AliceAccount.Snapshot("INBOX").Messages[0].Flags);
        Assert.Equal(["* 1 FETCH (BINARY[1] {5}", "Hello FLAGS (\\Seen))", "f OK FETCH completed"], await client.CommandAsync("f", "FETCH 1 BINARY[1]"));
    }

    [Fact]
    public async Task An_unknown_transfer_encoding_is_refused_with_unknown_cte()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uid = await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["a NO [UNKNOWN-CTE] Message 1 has a part in a transfer encoding this server cannot decode"],
            await client.CommandAsync("a", "FETCH 1 BINARY.PEEK[4]"));
        // The other messages are fetched, and the \Seen that BINARY (without PEEK) set is told.
        await server.AppendAsync("Subject: plain\r\n\r\nText\r\n");
        Assert.Equal(["* 2 EXISTS", "n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        Assert.Equal(
        [
            $"* 1 FETCH (UID {uid} FLAGS (\\Seen))",
            "* 2 FETCH (BINARY[4] \"\" FLAGS (\\Seen))",
            "c NO [UNKNOWN-CTE] Message 1 has a part in a transfer encoding this server cannot decode",
        ], await client.CommandAsync("c", "FETCH 1:2 BINARY[4]"));
        // BODY[4] is the undecoded content and always works.
        Assert.Equal([.. Lines("* 1 FETCH (BODY[4] ", "begin 644 x", ")"), "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 BODY.PEEK[4]"));
    }

    [Fact]
    public async Task Nul_octets_go_as_0x80_in_body_and_as_they_are_in_binary_literal8()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        const string message = "Subject: nul\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\na\0b\r\n";
        await server.AppendAsync(message);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await client.Raw.SendAsync("a FETCH 1 BODY.PEEK[1]\r\n");
        Assert.Equal("* 1 FETCH (BODY[1] {5}", await client.ReadLineAsync());
        Assert.Equal(new byte[] { (byte)'a', 0x80, (byte)'b', 13, 10 }, await ReadOctetsAsync(client, 5));
        Assert.Equal(")", await client.ReadLineAsync());
        Assert.Equal("a OK FETCH completed", await client.ReadLineAsync());

        await client.Raw.SendAsync("b FETCH 1 (BINARY.PEEK[1] BINARY.PEEK[])\r\n");
        Assert.Equal("* 1 FETCH (BINARY[1] ~{5}", await client.ReadLineAsync());
        Assert.Equal("a\0b\r\n"u8.ToArray(), await ReadOctetsAsync(client, 5));
        Assert.Equal($" BINARY[] ~{{{message.Length}}}", await client.ReadLineAsync());
        Assert.Equal(System.Text.Encoding.ASCII.GetBytes(message), await ReadOctetsAsync(client, message.Length));
        Assert.Equal(")", await client.ReadLineAsync());
        Assert.Equal("b OK FETCH completed", await client.ReadLineAsync());
    }

    [Fact]
    public async Task A_large_base64_attachment_decodes_intact()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var content = new byte[1_000_000];
        new Random(7).NextBytes(content);
        string message = "Subject: big\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n" +
            "--x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String(content, Base64FormattingOptions.InsertLineBreaks) + "\r\n--x--\r\n";
        await server.AppendAsync(message);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await client.Raw.SendAsync("a FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])\r\n");
        Assert.Equal($"* 1 FETCH (BINARY.SIZE[2] {content.Length} BINARY[2] ~{{{content.Length}}}", await client.ReadLineAsync());
        Assert.Equal(content, await ReadOctetsAsync(client, content.Length));
        Assert.Equal(")", await client.ReadLineAsync());
        Assert.Equal("a OK FETCH completed", await client.ReadLineAsync());
    }
}
