using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

/// <summary>
/// The cached listing fields come from Appliance.Mime's MessageSummary.Read, which is being
/// implemented in parallel. These tests assert what a real implementation gives and pass once
/// that work is merged; until then the store caches MessageSummary.Empty (by design, never
/// failing the append).
/// </summary>
public sealed class CachedFieldsTests : IDisposable
{
    private const string Simple = "From: a@b.c\r\nSubject: Hi\r\n\r\nbody";

    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Append_caches_from_and_subject()
    {
        var uid = await _store.AppendAsync("INBOX", Simple);
        var summary = _store.Account.GetMessage("INBOX", uid).Summary;
        Assert.Contains("a@b.c", summary.From, StringComparison.Ordinal);
        Assert.Equal("Hi", summary.Subject);
    }

    [Fact]
    public async Task Newest_listing_returns_cached_fields()
    {
        await _store.AppendAsync("INBOX", Simple);
        var message = Assert.Single(_store.Account.ListNewest("INBOX", 0, 50).Messages);
        Assert.Contains("a@b.c", message.Summary.From, StringComparison.Ordinal);
        Assert.Equal("Hi", message.Summary.Subject);
    }

    [Fact]
    public async Task Reindex_recomputes_cached_fields()
    {
        var uid = await _store.AppendAsync("INBOX", Simple);
        _store.Store.Reindex(_store.StoreId);
        var summary = _store.Account.GetMessage("INBOX", uid).Summary;
        Assert.Contains("a@b.c", summary.From, StringComparison.Ordinal);
        Assert.Equal("Hi", summary.Subject);
    }
}
