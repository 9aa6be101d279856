using Appliance.Server.Tests.Imap.Selected;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;
using static Appliance.Server.Tests.Imap.Search.SearchTestMessages;

namespace Appliance.Server.Tests.Imap.Search;

/// <summary>
/// SEARCH BODY / TEXT over a real socket while the mailbox changes under the full-text index:
/// encoded parts are found, attachments' bytes are not, and expunge, copy, move and a reindex leave
/// the answers right.
/// </summary>
public sealed class ImapFullTextTests
{
    private static string WithAttachment(string text, string attachment) =>
        "From: a@example.org\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + text + "\r\n"
        + "--b\r\nContent-Type: application/zip; name=x.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(attachment)) + "\r\n--b--\r\n";

    [Fact]
    public async Task Encoded_text_is_found_and_attachment_bytes_are_not()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(WithAttachment("Caf=E9 cr=E8me", "zipped words inside"));
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["* SEARCH 1", "a OK SEARCH completed"], await client.CommandAsync("a", "SEARCH BODY \"caf\""));
        Assert.Equal(["* SEARCH", "b OK SEARCH completed"], await client.CommandAsync("b", "SEARCH TEXT \"zipped\""));
        Assert.Equal(["* SEARCH", "c OK SEARCH completed"], await client.CommandAsync("c", "SEARCH BODY \"x.zip\""));
    }

    [Fact]
    public async Task Answers_stay_right_after_expunge_copy_move_delivery_and_reindex()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("one", "alpha bravo"));
        await server.AppendAsync(ImapStoreTestServer.Message("two", "alpha charlie"), flags: MessageFlags.Deleted);
        await server.AppendAsync(ImapStoreTestServer.Message("three", "alpha delta"));
        var account = server.AliceAccount;
        account.Expunge("INBOX");
        account.Copy("INBOX", [1], "Archive");
        account.Move("INBOX", [3], "Archive");
        using var client = await server.LoginAsync();

        await SelectAsync(client);
        Assert.Equal(["* SEARCH 1", "a OK UID SEARCH completed"], await client.CommandAsync("a", "UID SEARCH BODY alpha"));
        Assert.Equal(["* SEARCH", "b OK SEARCH completed"], await client.CommandAsync("b", "SEARCH OR BODY charlie BODY delta"));
        await SelectAsync(client, "Archive");
        Assert.Equal(["* SEARCH 1 2", "c OK UID SEARCH completed"], await client.CommandAsync("c", "UID SEARCH BODY alpha"));
        Assert.Equal(["* SEARCH 2", "d OK UID SEARCH completed"], await client.CommandAsync("d", "UID SEARCH BODY delta"));

        // A delivery while selected: announced, then searchable at once.
        await server.AppendAsync(ImapStoreTestServer.Message("four", "alpha echo"), mailbox: "Archive");
        Assert.Equal(["* 3 EXISTS", "e OK NOOP completed"], await client.CommandAsync("e", "NOOP"));
        Assert.Equal(["* SEARCH 3", "f OK UID SEARCH completed"], await client.CommandAsync("f", "UID SEARCH BODY echo"));

        // An expunge by another session: until it is reported, the gone message matches nothing.
        account.StoreFlags("Archive", [1], FlagOperation.Add, MessageFlags.Deleted);
        account.Expunge("Archive");
        Assert.Equal(["* SEARCH 2 3", "* 1 FETCH (UID 1 FLAGS (\\Deleted))", "g OK SEARCH completed"],
            await client.CommandAsync("g", "SEARCH BODY alpha"));
        Assert.Equal(["* 1 EXPUNGE", "h OK NOOP completed"], await client.CommandAsync("h", "NOOP"));

        server.Services.GetRequiredService<MessageStore>().Reindex(account.StoreId);
        Assert.Equal(["* SEARCH 1 2", "i OK SEARCH completed"], await client.CommandAsync("i", "SEARCH TEXT alpha"));
        Assert.Equal(["* SEARCH 2", "j OK SEARCH completed"], await client.CommandAsync("j", "SEARCH TEXT \"subject: four\""));
    }
}
