using System.Net;
using System.Net.Http.Headers;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

public sealed class ApiTokensBrowserTests
{
    [Fact]
    public async Task A_token_made_in_the_browser_works_once_shown_and_stops_when_revoked()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await using var browser = await Browser.LaunchAsync();
        string token = "";

        await browser.StepsAsync(nameof(A_token_made_in_the_browser_works_once_shown_and_stops_when_revoked), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse");
            await page.GetByRole(AriaRole.Link, new() { Name = "API tokens" }).ClickAsync();
            await page.GetByTestId("token-name").FillAsync("backup script");
            await page.GetByRole(AriaRole.Button, new() { Name = "Make a token" }).ClickAsync();
            token = await page.GetByTestId("new-token").InnerTextAsync();
            Assert.StartsWith("apl_", token);
            await Assertions.Expect(page.GetByTestId("token")).ToContainTextAsync("backup script");

            using var api = web.Client(out _);
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/domains")).StatusCode);

            // Shown once: a reload lists the token but never its secret again.
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByTestId("token")).ToContainTextAsync("backup script");
            await Assertions.Expect(page.GetByTestId("new-token")).ToHaveCountAsync(0);
            Assert.DoesNotContain(token, await page.ContentAsync());

            await page.GetByTestId("token").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("token")).ToHaveCountAsync(0);
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/domains")).StatusCode);
        });
    }
}
