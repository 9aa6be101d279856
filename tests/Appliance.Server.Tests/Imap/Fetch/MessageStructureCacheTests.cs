using System.Text;
using Appliance.Mime;
using Appliance.Server.Imap;
using Appliance.Server.Imap.Commands;
using Appliance.Server.Imap.Fetch;
using Appliance.Server.Tests.Imap.Selected;
using Microsoft.Extensions.DependencyInjection;
using static Appliance.Server.Tests.Imap.Fetch.FetchTestSupport;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>The structure cache's bound and use, and the INTERNALDATE format (RFC 9051 9 date-time).</summary>
public sealed class MessageStructureCacheTests
{
    private static MessageStructure Parse(string message) =>
        new(MimeParser.Parse(Encoding.ASCII.GetBytes(message)));

    private static MessageKey Key(uint uid) => new(Guid.Empty, 1, 7, uid);

    [Fact]
    public void Least_recently_used_entries_leave_when_the_bytes_bound_is_reached()
    {
        var structure = Parse(Multipart);
        var cache = new MessageStructureCache(structure.EstimatedBytes * 2);
        cache.Add(Key(1), structure);
        cache.Add(Key(2), Parse(Multipart));
        Assert.True(cache.TryGet(Key(1), out _)); // 1 is now the most recent
        cache.Add(Key(3), Parse(Multipart));

        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGet(Key(1), out var kept));
        Assert.Same(structure, kept);
        Assert.False(cache.TryGet(Key(2), out _));
        Assert.True(cache.TryGet(Key(3), out _));
        Assert.True(cache.Bytes <= cache.CapacityBytes);
        // UIDVALIDITY is part of the name: the same UID under another validity is another message.
        Assert.False(cache.TryGet(Key(1) with { UidValidity = 8 }, out _));
    }

    [Fact]
    public void An_entry_larger_than_the_bound_is_not_kept()
    {
        var structure = Parse(Multipart);
        var cache = new MessageStructureCache(structure.EstimatedBytes - 1);
        cache.Add(Key(1), structure);
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public async Task Header_items_do_not_parse_the_message_and_structure_items_parse_it_once()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        var cache = MessageStructureCache.For(server.Services.GetRequiredService<ImapEngine>());
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        var lines = await client.CommandAsync("a", "FETCH 1 (ENVELOPE BODY.PEEK[HEADER.FIELDS (Subject)] RFC822.HEADER)");
        Assert.Equal("a OK FETCH completed", lines[^1]);
        Assert.Equal(0, cache.Count);

        lines = await client.CommandAsync("b", "FETCH 1 BODYSTRUCTURE");
        Assert.Equal("b OK FETCH completed", lines[^1]);
        Assert.Equal(1, cache.Count);
        lines = await client.CommandAsync("c", "FETCH 1 (BODY.PEEK[3.1] BINARY.SIZE[2] ENVELOPE)");
        Assert.Equal("c OK FETCH completed", lines[^1]);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task With_the_cache_bound_at_zero_nothing_is_kept_and_fetch_still_answers()
    {
        await using var server = await ImapStoreTestServer.StartAsync(options => options.FetchStructureCacheBytes = 0);
        await server.AppendAsync(Multipart);
        var cache = MessageStructureCache.For(server.Services.GetRequiredService<ImapEngine>());
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(["* 1 FETCH (BINARY.SIZE[3.1] 5 BODY[3.2] {9}", "<p>hi</p>)", "a OK FETCH completed"],
                await client.CommandAsync("a", "FETCH 1 (BINARY.SIZE[3.1] BODY.PEEK[3.2])"));
        }
        Assert.Equal(0, cache.CapacityBytes);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Envelopes_are_bounded_by_their_estimated_bytes_least_recently_used_out()
    {
        string envelope = new('e', 100);
        var cache = new EnvelopeCache(2 * (128 + 200));
        cache.Add(Key(1), envelope);
        cache.Add(Key(2), envelope);
        Assert.True(cache.TryGet(Key(1), out _));
        cache.Add(Key(3), envelope);

        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGet(Key(1), out var kept));
        Assert.Same(envelope, kept);
        Assert.False(cache.TryGet(Key(2), out _));
        Assert.True(cache.Bytes <= cache.CapacityBytes);
        var none = new EnvelopeCache(0);
        none.Add(Key(1), envelope);
        Assert.Equal(0, none.Count);
    }

    [Fact]
    public async Task An_envelope_read_from_the_header_is_kept_and_answers_the_next_fetch_the_same()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        await server.AppendAsync(ImapStoreTestServer.Message("second"));
        var engine = server.Services.GetRequiredService<ImapEngine>();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        var first = await client.CommandAsync("a", "FETCH 1:* (ENVELOPE)");
        Assert.Equal(2, EnvelopeCache.For(engine).Count);
        Assert.Equal(0, MessageStructureCache.For(engine).Count);
        var second = await client.CommandAsync("a", "FETCH 1:* (ENVELOPE)");
        Assert.Equal(first, second);
        Assert.Equal("a OK FETCH completed", first[^1]);
    }

    [Theory]
    [InlineData(2026, 11, 2, 9, 5, 7, 0, "\" 2-Nov-2026 09:05:07 +0000\"")]
    [InlineData(1999, 1, 17, 23, 0, 0, -330, "\"17-Jan-1999 23:00:00 -0530\"")]
    [InlineData(2030, 12, 31, 0, 0, 59, 60, "\"31-Dec-2030 00:00:59 +0100\"")]
    public void Internaldate_uses_the_fixed_day_form(int year, int month, int day, int hour, int minute, int second, int offsetMinutes, string expected) =>
        Assert.Equal(expected, FetchCommand.FormatDateTime(new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.FromMinutes(offsetMinutes))));
}
