using System.Net;
using Appliance.Server.Accounts;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using static Appliance.Web.Tests.Admin.AdminWebHost;

namespace Appliance.Web.Tests.Admin;

/// <summary>Failed web sign-ins kept in the database for the Logs page: across restarts, printable, bounded, pruned.</summary>
public sealed class SignInFailureLogTests
{
    [Fact]
    public async Task Failed_sign_ins_survive_a_restart_and_the_logs_page_finds_them_encoded()
    {
        string data = NewDataDirectory();
        string hostile = "<script>alert(1)</script>\u202Eevil\r\n@example.org" + new string('x', 400);
        try
        {
            await using (var web = await AdminWebHost.StartAsync(dataDirectory: data))
            {
                var accounts = web.Host.Services.GetRequiredService<AccountService>();
                await accounts.AddDomainAsync("example.org", "test");
                await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = Appliance.Storage.Entities.MailboxRole.Admin }, "test");
                using var attacker = web.Client(out _);
                Assert.Equal(HttpStatusCode.OK, (await SignInAsync(attacker, "admin@example.org", "guess")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await SignInAsync(attacker, hostile, "guess")).StatusCode);
            }

            await using (var restarted = await AdminWebHost.StartAsync(dataDirectory: data))
            {
                var log = restarted.Host.Services.GetRequiredService<SignInFailureLog>();
                var all = await log.QueryAsync(null, 10);
                Assert.Equal(2, all.Count);
                // Newest first; the typed text stored printable (control and bidi characters as "?") and cut at the column's length.
                string stored = "<script>alert(1)</script>?evil??@example.org" + new string('x', FailedSignIn.MaxAddressLength - 45) + "…";
                Assert.Equal(FailedSignIn.MaxAddressLength, stored.Length);
                Assert.Equal([stored, "admin@example.org"], all.Select(f => f.Address));
                Assert.All(all, f => Assert.Equal("127.0.0.1", f.Client));
                Assert.Equal(["admin@example.org"], (await log.QueryAsync("ADMIN@", 10)).Select(f => f.Address));
                Assert.Equal(2, (await log.QueryAsync("127.0.0", 10)).Count);
                Assert.Empty(await log.QueryAsync("nobody", 10));

                // The Logs page (prerendered) shows them, the hostile one encoded.
                using var admin = restarted.Client(out _);
                Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(admin, "admin@example.org", "correct horse")).StatusCode);
                string page = await admin.GetStringAsync("/logs");
                Assert.Contains("<td>admin@example.org</td>", page);
                Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;?evil??@example.org", page);
                Assert.DoesNotContain("<script>alert(1)", page);
            }
        }
        finally
        {
            DeleteDataDirectory(data);
        }
    }

    [Fact]
    public async Task Old_rows_are_pruned_on_insert_after_the_maximum_age()
    {
        await using var web = await AdminWebHost.StartAsync();
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var dbFactory = web.Host.Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>();
        var log = new SignInFailureLog(dbFactory, time);
        await log.RecordAsync("old@example.org", "192.0.2.1");
        time.Advance(SignInFailureLog.MaxAge - TimeSpan.FromMinutes(1));
        await log.RecordAsync("recent@example.org", "192.0.2.2");
        Assert.Equal(["recent@example.org", "old@example.org"], (await log.QueryAsync(null, 10)).Select(f => f.Address));

        // Past the age, the next insert (a prune interval after the last prune) removes the old row only.
        time.Advance(TimeSpan.FromMinutes(2));
        await log.RecordAsync("new@example.org", "192.0.2.3");
        Assert.Equal(["new@example.org", "recent@example.org"], (await log.QueryAsync(null, 10)).Select(f => f.Address));
        await using var db = await dbFactory.CreateDbContextAsync();
        Assert.Equal(2, await db.FailedSignIns.CountAsync());
    }

    [Theory]
    [InlineData("alice@example.org", 20, "alice@example.org")]
    [InlineData("a\u0000b\u200Bc\u202Ed", 20, "a?b?c?d")]
    [InlineData("abcdefghij", 10, "abcdefghij")]
    [InlineData("abcdefghijk", 10, "abcdefghi…")]
    [InlineData("abcdefgh\U0001F600z", 10, "abcdefgh…")]
    public void Stored_text_is_printable_and_bounded(string typed, int maxLength, string stored) =>
        Assert.Equal(stored, SignInFailureLog.Printable(typed, maxLength));

    [Fact]
    public void A_broken_surrogate_is_stored_as_a_question_mark() =>
        Assert.Equal("ab?cd", SignInFailureLog.Printable("ab" + (char)0xD800 + "cd", 10));
}
