using Appliance.Storage.Mail;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Tests.Mail;

/// <summary>
/// The full-text index behind IMAP SEARCH BODY / TEXT (RFC 9051 section 6.4.4): what it finds in
/// encoded and HTML parts, what it must not find, and that it follows every change of the mailbox.
/// </summary>
public sealed class TextSearchTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private static string Multipart(string subject) =>
        "From: a@b.c\r\nTo: d@e.f\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n"
        + "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
        + "--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
        // "Grüße aus Zürich, the quarterly figures" in base64 (UTF-8)
        + "--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + Convert.ToBase64String("Grüße aus Zürich, the quarterly figures"u8.ToArray()) + "\r\n"
        + "--inner\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + "<html><body><p>Caf=E9 <b>meet=\r\ning</b> &amp; lunch</p></body></html>\r\n"
        + "--inner--\r\n"
        + "--outer\r\nContent-Type: application/octet-stream; name=\"blob.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + Convert.ToBase64String("secretpayload inside a binary attachment"u8.ToArray()) + "\r\n"
        + "--outer--\r\n";

    [Fact]
    public async Task Finds_substrings_in_base64_quoted_printable_and_html_text_but_not_in_binary_attachments()
    {
        var uid = await _store.AppendAsync("INBOX", Multipart("Report =?utf-8?q?f=C3=BCr?= Q3"));
        var other = await _store.AppendAsync("INBOX", TempStore.Message("other", "nothing to see"));
        var account = _store.Account;

        Assert.Equal([uid], account.SearchText("INBOX", "quarterly", TextSearchScope.Body));
        Assert.Equal([uid], account.SearchText("INBOX", "ZÜRICH", TextSearchScope.Body)); // case-insensitive beyond ASCII
        Assert.Equal([uid], account.SearchText("INBOX", "uarterl", TextSearchScope.Body)); // a substring, not a word
        Assert.Equal([uid], account.SearchText("INBOX", "Café meeting & lunch", TextSearchScope.Body)); // QP soft break, Latin-1, HTML entity
        Assert.Empty(account.SearchText("INBOX", "<b>", TextSearchScope.Body)); // markup is not text
        Assert.Empty(account.SearchText("INBOX", "secretpayload", TextSearchScope.HeaderAndBody));
        Assert.Empty(account.SearchText("INBOX", "Report", TextSearchScope.Body)); // header only
        Assert.Equal([uid], account.SearchText("INBOX", "report für", TextSearchScope.HeaderAndBody)); // decoded encoded-word
        Assert.Equal([other], account.SearchText("INBOX", "to see", TextSearchScope.Body));
        Assert.Equal([uid], account.SearchText("INBOX", "subject: report FÜR", TextSearchScope.Header));
        Assert.Empty(account.SearchText("INBOX", "quarterly", TextSearchScope.Header));
        Assert.Equal([uid, other], account.SearchText("INBOX", "e.f", TextSearchScope.Header).Order());
    }

    [Fact]
    public async Task Strings_under_three_characters_and_the_empty_string_are_answered_too()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("one", "xy marks the spot"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("two", "nothing here"));
        var account = _store.Account;

        Assert.Equal([a], account.SearchText("INBOX", "XY", TextSearchScope.Body));
        Assert.Equal([a, b], account.SearchText("INBOX", "o", TextSearchScope.HeaderAndBody).Order());
        Assert.Equal([a, b], account.SearchText("INBOX", "", TextSearchScope.Body).Order());
        Assert.Empty(account.SearchText("INBOX", "\"quoted\" spot", TextSearchScope.Body)); // FTS5 syntax is escaped, not interpreted
        Assert.Equal([a], account.SearchText("INBOX", "the spot", TextSearchScope.Body));
    }

    [Fact]
    public async Task Expunge_copy_move_and_mailbox_delete_keep_the_index_right()
    {
        var keep = await _store.AppendAsync("INBOX", TempStore.Message("k", "alpha bravo"));
        var gone = await _store.AppendAsync("INBOX", TempStore.Message("g", "alpha charlie"), MessageFlags.Deleted);
        var moving = await _store.AppendAsync("INBOX", TempStore.Message("m", "alpha delta"));
        var account = _store.Account;

        Assert.Equal([gone], account.Expunge("INBOX"));
        Assert.Equal([keep, moving], account.SearchText("INBOX", "alpha", TextSearchScope.Body).Order());

        var copied = account.Copy("INBOX", [keep], "Archive").Map.Single().TargetUid;
        Assert.Equal([copied], account.SearchText("Archive", "bravo", TextSearchScope.Body));
        Assert.Equal([keep], account.SearchText("INBOX", "bravo", TextSearchScope.Body));

        var moved = account.Move("INBOX", [moving], "Archive").Map.Single().TargetUid;
        Assert.Equal([copied, moved], account.SearchText("Archive", "alpha", TextSearchScope.Body).Order());
        Assert.Equal([keep], account.SearchText("INBOX", "alpha", TextSearchScope.Body));
        Assert.Empty(account.SearchText("INBOX", "delta", TextSearchScope.Body));

        var archiveId = account.GetMailbox("Archive").Id;
        account.DeleteMailbox("Archive");
        Assert.Equal(1, CountTextRows());
        account.CreateMailbox("Archive");
        Assert.NotEqual(archiveId, account.GetMailbox("Archive").Id);
        Assert.Empty(account.SearchText("Archive", "alpha", TextSearchScope.Body));
    }

    [Fact]
    public async Task A_reindex_rebuilds_the_text_rows()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a", "echo foxtrot"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b", "golf hotel"));

        var result = _store.Account.Reindex();

        Assert.Equal(2, result.Messages);
        Assert.Equal(2, CountTextRows());
        Assert.Equal([a], _store.Account.SearchText("INBOX", "foxtrot", TextSearchScope.Body));
        Assert.Equal([b], _store.Account.SearchText("INBOX", "golf", TextSearchScope.Body));
    }

    [Fact]
    public async Task Opening_an_index_made_before_the_text_table_fills_it()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a", "india juliett"));
        await _store.AppendAsync("Sent", TempStore.Message("b", "kilo lima"));
        _store.Store.Dispose();
        using (var connection = OpenIndex())
        using (var command = connection.CreateCommand())
        {
            // What an index of the previous schema looks like.
            command.CommandText = "DROP TRIGGER message_text_forget; DROP TABLE message_text;";
            command.ExecuteNonQuery();
        }

        var account = _store.Reopen();
        await account.FlushBackgroundWorkAsync(); // the open queues them for the background indexer

        Assert.Equal(2, CountTextRows());
        Assert.Equal([a], account.SearchText("INBOX", "juliett", TextSearchScope.Body));
    }

    [Fact]
    public async Task A_message_without_a_text_row_is_indexed_before_a_search()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a", "mike november"));
        using (var connection = OpenIndex())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "DELETE FROM message_text";
            command.ExecuteNonQuery();
        }

        Assert.Equal([a], _store.Account.SearchText("INBOX", "november", TextSearchScope.Body));
        Assert.Equal(1, CountTextRows());
    }

    [Fact]
    public async Task After_a_search_a_new_message_makes_the_next_search_check_for_missing_text_rows_again()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a", "oscar papa"));
        Assert.Equal([a], _store.Account.SearchText("INBOX", "papa", TextSearchScope.Body)); // remembered as complete
        using (var connection = OpenIndex())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "DELETE FROM message_text"; // as if written by something that skipped the text
            command.ExecuteNonQuery();
        }

        var b = await _store.AppendAsync("INBOX", TempStore.Message("b", "quebec papa"));

        Assert.Equal([a, b], _store.Account.SearchText("INBOX", "papa", TextSearchScope.Body).Order());
        Assert.Equal(2, CountTextRows());
    }

    [Fact]
    public async Task The_background_indexer_gives_every_appended_message_one_row()
    {
        // Concurrent appends commit in groups; every one of them is queued for indexing.
        var uids = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            _store.AppendAsync("INBOX", TempStore.Message("m" + i, $"oscar{i:D2} papa"))));
        await _store.Account.FlushBackgroundWorkAsync();

        Assert.Equal(40, CountTextRows());
        Assert.Equal(40, CountIndexedMessages());
        for (var i = 0; i < 40; i += 13)
            Assert.Equal([uids[i]], _store.Account.SearchText("INBOX", $"oscar{i:D2}", TextSearchScope.Body));
    }

    [Fact]
    public async Task Messages_renamed_or_expunged_before_the_indexer_reaches_them_end_right()
    {
        // Whatever the interleaving with the indexer: a flag change (which renames the file) leaves
        // the message indexed, and an expunge leaves no row behind.
        var kept = new List<uint>();
        for (var i = 0; i < 20; i++)
        {
            var uid = await _store.AppendAsync("INBOX", TempStore.Message("r" + i, $"quebec{i:D2} romeo"));
            if (i % 2 == 0)
            {
                _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen);
                kept.Add(uid);
            }
            else
            {
                _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Deleted);
                _store.Account.Expunge("INBOX", [uid]);
            }
        }
        await _store.Account.FlushBackgroundWorkAsync();

        Assert.True(CountTextRows() <= kept.Count); // no row for an expunged message
        Assert.Equal(kept.Order(), _store.Account.SearchText("INBOX", "romeo", TextSearchScope.Body).Order());
        Assert.Equal(kept.Count, CountTextRows()); // the search indexed any the indexer missed
    }

    private long CountIndexedMessages()
    {
        using var connection = OpenIndex();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM messages m WHERE EXISTS (SELECT 1 FROM message_text_content t WHERE t.id = (m.mailbox_id << 32) | m.uid)";
        return (long)command.ExecuteScalar()!;
    }

    private SqliteConnection OpenIndex()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_store.AccountDirectory, IndexDatabase.FileName),
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    private long CountTextRows()
    {
        using var connection = OpenIndex();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM message_text";
        return (long)command.ExecuteScalar()!;
    }
}
