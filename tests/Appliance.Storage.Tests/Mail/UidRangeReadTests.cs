using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

/// <summary>
/// Reads of the messages in a set of UID ranges (IMAP FETCH, SEARCH's candidates, STORE): exactly
/// the messages inside the ranges, in ascending UID order, for sets of any shape, including the
/// sparse ones (hundreds of single UIDs) a client's cache or a search result makes.
/// </summary>
public sealed class UidRangeReadTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    /// <summary>240 messages, one in seven expunged: UIDs 1..240 with holes. Returns the UIDs left.</summary>
    private async Task<List<uint>> FillAsync()
    {
        // Appended at once (the store commits them in batches), so UIDs follow commit order, not i.
        var appends = Enumerable.Range(1, 240).Select(i => _store.Account.AppendAsync("INBOX",
            new MemoryStream(System.Text.Encoding.ASCII.GetBytes(TempStore.Message("m" + i))), i % 7 == 0 ? MessageFlags.Deleted : MessageFlags.None));
        await Task.WhenAll(appends);
        _store.Account.Expunge("INBOX");
        return _store.Account.ListMessagesByUid("INBOX").Select(m => m.Uid).ToList();
    }

    public static TheoryData<string> Sets => new()
    {
        "1:240",
        "5",
        "7", // expunged: nothing
        "300:400", // past the end
        "230:4294967295", // up to the largest UID there is ("*" normalised)
        "sparse", // 150 single UIDs, some expunged, plus runs
    };

    private static List<(uint Low, uint High)> RangesOf(string set)
    {
        if (set == "sparse")
        {
            var ranges = Enumerable.Range(0, 150).Select(i => ((uint)(1 + i * 3 / 2), (uint)(1 + i * 3 / 2))).Distinct().ToList();
            ranges.Add((230, 233));
            ranges.Add((238, 1000));
            return ranges;
        }
        var parts = set.Split(':');
        return [(uint.Parse(parts[0]), uint.Parse(parts[^1]))];
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Fetch_and_search_reads_return_exactly_the_messages_in_the_ranges_in_uid_order(string set)
    {
        var present = await FillAsync();
        var ranges = RangesOf(set);
        var expected = present.Where(uid => ranges.Any(r => r.Low <= uid && uid <= r.High)).ToList();

        var fetched = _store.Account.ListMessagesForFetch("INBOX", ranges);
        var listed = _store.Account.ListMessagesByUid("INBOX", ranges);
        var searched = _store.Account.ListMessagesForSearch("INBOX", ranges);

        Assert.Equal(expected, fetched.Select(m => m.Uid));
        Assert.Equal(expected, listed.Select(m => m.Uid));
        Assert.Equal(expected, searched.Select(m => m.State.Uid));
        foreach (var row in fetched)
            Assert.True(File.Exists(row.File.Path));
        var subjects = _store.Account.ListMessagesByUid("INBOX").ToDictionary(m => m.Uid, m => m.Summary.Subject);
        foreach (var info in listed)
            Assert.Equal(subjects[info.Uid], info.Summary.Subject);
    }

    [Fact]
    public async Task Search_rows_carry_the_same_state_size_dates_and_subject_as_the_full_rows()
    {
        var dated = await _store.AppendAsync("INBOX", "Date: Tue, 3 Nov 2026 09:30:00 -0500\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=  aus\r\n\tZ\u00fcrich\r\n\r\nbody\r\n",
            MessageFlags.Seen | MessageFlags.Flagged, ["$Label1"], new DateTimeOffset(2026, 11, 4, 8, 0, 0, TimeSpan.Zero));
        await _store.AppendAsync("INBOX", "Subject: no date\r\n\r\nbody\r\n");

        var full = _store.Account.ListMessagesByUid("INBOX");
        var narrow = _store.Account.ListMessagesForSearch("INBOX");

        Assert.Equal(full.Count, narrow.Count);
        foreach (var (info, row) in full.Zip(narrow))
        {
            Assert.Equal(new MessageState(info.Uid, info.Flags, info.Keywords, info.ModSeq), row.State with { Keywords = info.Keywords });
            Assert.Equal(info.Keywords, row.State.Keywords);
            Assert.Equal(info.Size, row.Size);
            Assert.Equal(info.InternalDate, row.InternalDate);
            Assert.Equal(info.Summary.Date, row.SentDate);
            Assert.Equal(info.Summary.Subject, row.Subject);
        }
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 9, 30, 0, TimeSpan.FromHours(-5)), narrow.Single(r => r.State.Uid == dated).SentDate);
        Assert.Equal(-5, narrow.Single(r => r.State.Uid == dated).SentDate!.Value.Offset.TotalHours); // the zone it was written in
        Assert.Equal("Grüße aus Zürich", narrow.Single(r => r.State.Uid == dated).Subject);
        Assert.Null(narrow.Single(r => r.State.Uid != dated).SentDate);
    }

    [Fact]
    public async Task Store_on_a_sparse_set_changes_exactly_those_messages()
    {
        var present = await FillAsync();
        var wanted = present.Where(uid => uid % 2 == 1).ToList(); // over 100 single UIDs, no two consecutive
        Assert.True(wanted.Count > 100);

        var result = _store.Account.StoreFlags("INBOX", wanted.Append(500u).Append(7u), FlagOperation.Add, MessageFlags.Flagged);

        Assert.Equal(wanted, result.Updated.Select(u => u.Uid).Order());
        var flagged = _store.Account.ListMessagesByUid("INBOX").Where(m => (m.Flags & MessageFlags.Flagged) != 0).Select(m => m.Uid);
        Assert.Equal(wanted, flagged);
    }
}
