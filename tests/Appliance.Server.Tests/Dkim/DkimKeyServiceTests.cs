using System.Text;
using Appliance.MailAuth.Dkim;
using Appliance.Server.Accounts;
using Appliance.Server.Dkim;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using StoredAlgorithm = Appliance.Storage.Entities.DkimAlgorithm;

namespace Appliance.Server.Tests.Dkim;

public sealed class DkimKeyServiceTests : IAsyncLifetime
{
    private DkimTestHost host = null!;

    public async Task InitializeAsync() => host = await DkimTestHost.StartAsync();
    public async Task DisposeAsync() => await host.DisposeAsync();

    private async Task<DkimResult> VerifyAsync(byte[] signedMessage, params DkimKeyInfo[] published)
    {
        var verifier = new DkimVerifier(DkimTestHost.Dns(published), new DkimVerifierOptions { TimeProvider = host.Time });
        return Assert.Single(await verifier.VerifyAsync(signedMessage));
    }

    private async Task<(string Signature, byte[] Signed)> SignAsync(string from)
    {
        byte[] message = DkimTestHost.Message(from);
        string? signature = await host.Signer.SignAsync(message);
        Assert.NotNull(signature);
        return (signature, DkimTestHost.Signed(signature, message));
    }

    [Fact]
    public async Task Adding_a_domain_creates_an_active_key_whose_published_record_verifies_our_signature()
    {
        await host.Accounts.AddDomainAsync("Example.com", "test");

        DkimKeyInfo key = Assert.Single(await host.Keys.GetKeysAsync("example.com"));
        Assert.Equal(DkimKeyState.Active, key.State);
        Assert.Equal(StoredAlgorithm.RsaSha256, key.Algorithm);
        Assert.Equal("r20261121", key.Selector);
        Assert.Equal("r20261121._domainkey.example.com", key.RecordName);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIB", key.RecordValue);
        // RSA 2048: the p= value does not fit one 255-octet string (RFC 1035 3.3.14).
        Assert.Equal(2, key.RecordStrings.Count);
        Assert.All(key.RecordStrings, s => Assert.InRange(Encoding.ASCII.GetByteCount(s), 1, 255));
        Assert.Equal(key.RecordValue, string.Concat(key.RecordStrings));
        Assert.Equal((key.Selector, key.RecordValue), ((await host.Keys.GetActiveKeyAsync("EXAMPLE.COM"))!.Selector, (await host.Keys.GetActiveKeyAsync("example.com"))!.RecordValue));

        var (signature, signed) = await SignAsync("Joe <joe@Example.COM>");
        Assert.Contains("a=rsa-sha256;", signature);
        Assert.Contains("c=relaxed/relaxed;", signature);
        Assert.Contains("d=example.com;", signature);
        Assert.Contains("s=r20261121;", signature);
        Assert.EndsWith("\r\n", signature);

        DkimResult result = await VerifyAsync(signed, key);
        Assert.True(result.Verdict == DkimVerdict.Pass, result.Reason);
        Assert.Equal(("example.com", "r20261121"), (result.Domain, result.Selector));

        byte[] tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(signed).Replace("We lost", "We won"));
        Assert.Equal(DkimVerdict.Fail, (await VerifyAsync(tampered, key)).Verdict);

        await using var db = host.CreateDb();
        Assert.Contains(await db.AuditEvents.Where(a => a.Action == "domain.add").Select(a => a.Details).ToListAsync(), d => d == "dkim selector=r20261121");
    }

    [Fact]
    public async Task Rotation_publishes_first_and_the_new_key_takes_over_after_the_grace_period()
    {
        await host.Accounts.AddDomainAsync("example.com", "test");
        DkimKeyInfo first = (await host.Keys.GetActiveKeyAsync("example.com"))!;

        host.Time.Advance(TimeSpan.FromDays(30));
        DkimKeyInfo second = await host.Keys.RotateAsync("example.com", "admin@example.com");
        Assert.Equal(DkimKeyState.Pending, second.State);
        Assert.Equal("r20261221", second.Selector);
        Assert.Equal(second.CreatedUtc + TimeSpan.FromHours(72), second.ActivatesUtc);
        Assert.Equal([second.Selector, first.Selector], (await host.Keys.GetPublishedKeysAsync("example.com")).Select(k => k.Selector));

        // Pending: published, but the old key still signs.
        Assert.Contains($"s={first.Selector};", (await SignAsync("joe@example.com")).Signature);
        Assert.Equal(first.Selector, (await host.Keys.GetActiveKeyAsync("example.com"))!.Selector);

        host.Time.Advance(TimeSpan.FromHours(71));
        Assert.Contains($"s={first.Selector};", (await SignAsync("joe@example.com")).Signature);

        host.Time.Advance(TimeSpan.FromHours(1));
        var keys = await host.Keys.GetKeysAsync("example.com");
        Assert.Equal([(second.Selector, DkimKeyState.Active), (first.Selector, DkimKeyState.Superseded)], keys.Select(k => (k.Selector, k.State)));
        var (signature, signed) = await SignAsync("joe@example.com");
        Assert.Contains($"s={second.Selector};", signature);
        Assert.Equal(DkimVerdict.Pass, (await VerifyAsync(signed, second)).Verdict);

        // The superseded key is retired; the last live key cannot be.
        DkimKeyInfo retired = await host.Keys.RetireAsync("example.com", first.Selector, "admin@example.com");
        Assert.Equal(DkimKeyState.Retired, retired.State);
        Assert.Equal(host.Time.GetUtcNow().UtcDateTime, retired.RetiredUtc);
        Assert.Equal([second.Selector], (await host.Keys.GetPublishedKeysAsync("example.com")).Select(k => k.Selector));
        var e = await Assert.ThrowsAsync<DkimKeyException>(() => host.Keys.RetireAsync("example.com", second.Selector, "admin@example.com"));
        Assert.Contains("only DKIM key", e.Message);
        await Assert.ThrowsAsync<DkimKeyException>(() => host.Keys.RetireAsync("example.com", first.Selector, "admin@example.com"));
        await Assert.ThrowsAsync<DkimKeyException>(() => host.Keys.RetireAsync("example.com", "nope", "admin@example.com"));
        Assert.Contains($"s={second.Selector};", (await SignAsync("joe@example.com")).Signature);

        await using var db = host.CreateDb();
        var audit = await db.AuditEvents.Where(a => a.Action.StartsWith("dkim.")).OrderBy(a => a.Id).Select(a => new { a.Action, a.Details, a.Actor }).ToListAsync();
        Assert.Equal([("dkim.rotate", $"selector={second.Selector}"), ("dkim.retire", $"selector={first.Selector}")], audit.Select(a => (a.Action, a.Details)));
        Assert.All(audit, a => Assert.Equal("admin@example.com", a.Actor));
    }

    [Fact]
    public async Task Retiring_the_active_key_hands_over_to_the_pending_key_at_once()
    {
        await host.Accounts.AddDomainAsync("example.com", "test");
        DkimKeyInfo first = (await host.Keys.GetActiveKeyAsync("example.com"))!;
        Assert.Contains($"s={first.Selector};", (await SignAsync("joe@example.com")).Signature); // now cached

        DkimKeyInfo second = await host.Keys.RotateAsync("example.com", "admin");
        Assert.Equal("r20261121-2", second.Selector); // same day: never the same selector
        await host.Keys.RetireAsync("example.com", first.Selector, "admin");

        Assert.Equal(DkimKeyState.Active, (await host.Keys.GetActiveKeyAsync("example.com"))!.State);
        Assert.Equal(second.Selector, (await host.Keys.GetActiveKeyAsync("example.com"))!.Selector);
        var (signature, signed) = await SignAsync("joe@example.com");
        Assert.Contains($"s={second.Selector};", signature);
        Assert.Equal(DkimVerdict.Pass, (await VerifyAsync(signed, second)).Verdict);
        // A message verified against the retired record alone does not pass.
        Assert.NotEqual(DkimVerdict.Pass, (await VerifyAsync(signed, first with { RecordName = second.RecordName, RecordStrings = first.RecordStrings })).Verdict);
    }

    [Fact]
    public async Task Unknown_domains_are_refused_clearly()
    {
        var e = await Assert.ThrowsAsync<AccountException>(() => host.Keys.RotateAsync("nothere.example", "admin"));
        Assert.Equal(AccountError.DomainNotFound, e.Error);
        e = await Assert.ThrowsAsync<AccountException>(() => host.Keys.GetKeysAsync("not a domain"));
        Assert.Equal(AccountError.InvalidDomain, e.Error);
    }

    [Fact]
    public async Task A_domain_without_a_key_gets_one_from_the_start_up_backfill_and_is_signed_then()
    {
        await using (var db = host.CreateDb())
        {
            db.Domains.Add(new Domain { Name = "legacy.example", CreatedUtc = host.Time.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        }
        await host.Accounts.AddDomainAsync("example.com", "test");
        Assert.Null(await host.Signer.SignAsync(DkimTestHost.Message("a@legacy.example")));
        Assert.Null(await host.Keys.GetActiveKeyAsync("legacy.example"));

        Assert.Equal(["legacy.example"], await host.Keys.EnsureKeysAsync("system"));
        Assert.Empty(await host.Keys.EnsureKeysAsync("system"));

        DkimKeyInfo key = (await host.Keys.GetActiveKeyAsync("legacy.example"))!;
        var (_, signed) = await SignAsync("a@legacy.example");
        Assert.Equal(DkimVerdict.Pass, (await VerifyAsync(signed, key)).Verdict);
    }

    [Fact]
    public async Task Removing_a_domain_removes_its_keys()
    {
        await host.Accounts.AddDomainAsync("example.com", "test");
        await host.Keys.RotateAsync("example.com", "admin");
        await host.Accounts.RemoveDomainAsync("example.com", force: false, "admin");
        await using var db = host.CreateDb();
        Assert.Empty(await db.DkimKeys.ToListAsync());
    }

    [Fact]
    public void Selectors_carry_the_algorithm_and_date_and_are_never_reused()
    {
        var day = new DateTime(2026, 1, 2, 23, 59, 0, DateTimeKind.Utc);
        Assert.Equal("r20260102", DkimKeyMaterial.NewSelector(StoredAlgorithm.RsaSha256, day, []));
        Assert.Equal("e20260102", DkimKeyMaterial.NewSelector(StoredAlgorithm.Ed25519Sha256, day, ["r20260102"]));
        Assert.Equal("r20260102-3", DkimKeyMaterial.NewSelector(StoredAlgorithm.RsaSha256, day, ["r20260102", "R20260102-2"]));
    }
}
