using System.Net;
using System.Text;
using Appliance.Server.Accounts;
using Appliance.Storage.Mail;
using Appliance.Web.Tests.Admin;
using Appliance.Web.Webmail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Webmail;

/// <summary>The body, attachment and source endpoints over real HTTPS: who may read, and the headers that keep mail content inert.</summary>
public sealed class WebmailEndpointTests : IAsyncLifetime
{
    private AdminWebHost _web = null!;
    private MailAccount _alice = null!;
    private long _inbox;
    private uint _uid;

    public async Task InitializeAsync()
    {
        _web = await AdminWebHost.StartAsync();
        var accounts = _web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var alice = await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", "correct horse"), "test");
        await accounts.AddMailboxAsync(new NewMailbox("bob@example.org", "correct horse"), "test");
        _alice = _web.Host.Services.GetRequiredService<MessageStore>().OpenAccount(alice.StoreId);
        _inbox = _alice.GetMailbox("INBOX").Id;
        string message = "From: carol@example.net\r\nTo: alice@example.org\r\nSubject: Files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"steal()\">Hi <img src=\"https://tracker.example/p.gif\"></p><script>steal()</script>\r\n" +
            "--b\r\nContent-Type: text/html; name=page.html\r\nContent-Disposition: attachment; filename=page.html\r\n\r\n<script>alert(document.cookie)</script>\r\n" +
            "--b\r\nContent-Type: image/png; name=dot.png\r\nContent-Disposition: attachment; filename=dot.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(message));
        _uid = (await _alice.AppendAsync("INBOX", stream)).Uid;
    }

    public async Task DisposeAsync() => await _web.DisposeAsync();

    private async Task<HttpClient> SignedInAsync(string address)
    {
        var client = _web.Client(out _);
        Assert.Equal(HttpStatusCode.Redirect, (await AdminWebHost.SignInAsync(client, address, "correct horse")).StatusCode);
        return client;
    }

    [Fact]
    public async Task Nothing_is_served_without_signing_in()
    {
        using var client = _web.Client(out _);
        foreach (string url in new[] { WebmailEndpoints.BodyUrl(_inbox, _uid, false), WebmailEndpoints.PartUrl(_inbox, _uid, "2"), WebmailEndpoints.RawUrl(_inbox, _uid) })
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/signin", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_body_is_sanitized_and_served_with_a_sandboxing_policy()
    {
        using var client = await SignedInAsync("alice@example.org");
        var response = await client.GetAsync(WebmailEndpoints.BodyUrl(_inbox, _uid, remote: false));
        string html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hi", html);
        Assert.DoesNotContain("script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onclick", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("tracker.example", html);
        Assert.Equal(WebmailEndpoints.BodyPolicy(remoteImages: false), response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("sandbox", WebmailEndpoints.BodyPolicy(false));
        Assert.DoesNotContain("script-src", WebmailEndpoints.BodyPolicy(false));
        Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());

        var remote = await client.GetAsync(WebmailEndpoints.BodyUrl(_inbox, _uid, remote: true));
        Assert.Contains("https://tracker.example/p.gif", await remote.Content.ReadAsStringAsync());
        Assert.Equal(WebmailEndpoints.BodyPolicy(remoteImages: true), remote.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Attachments_are_downloads_and_only_raster_images_show_inline()
    {
        using var client = await SignedInAsync("alice@example.org");
        var html = await client.GetAsync(WebmailEndpoints.PartUrl(_inbox, _uid, "2", inline: true));
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("application/octet-stream", html.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", html.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("page.html", html.Content.Headers.ContentDisposition.FileNameStar ?? html.Content.Headers.ContentDisposition.FileName);
        Assert.Equal("nosniff", html.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("<script>alert(document.cookie)</script>", await html.Content.ReadAsStringAsync());

        var image = await client.GetAsync(WebmailEndpoints.PartUrl(_inbox, _uid, "3", inline: true));
        Assert.Equal("image/png", image.Content.Headers.ContentType!.MediaType);
        Assert.Null(image.Content.Headers.ContentDisposition);
        Assert.Equal("nosniff", image.Headers.GetValues("X-Content-Type-Options").Single());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(WebmailEndpoints.PartUrl(_inbox, _uid, "9"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/mail/part/{_inbox}/{_uid}/..%2F..%2Fetc")).StatusCode);
    }

    [Fact]
    public async Task The_source_is_plain_text_that_never_renders()
    {
        using var client = await SignedInAsync("alice@example.org");
        var raw = await client.GetAsync(WebmailEndpoints.RawUrl(_inbox, _uid));
        Assert.Equal("text/plain", raw.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", raw.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.StartsWith("From: carol@example.net\r\n", await raw.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var download = await client.GetAsync(WebmailEndpoints.RawUrl(_inbox, _uid, download: true));
        Assert.Equal("message/rfc822", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
    }

    [Fact]
    public async Task Another_user_sees_only_their_own_mail_under_the_same_numbers()
    {
        using var bob = await SignedInAsync("bob@example.org");
        // Folder ids and UIDs are per account: the same numbers name bob's own (empty) INBOX, never alice's mail.
        foreach (string url in new[] { WebmailEndpoints.BodyUrl(_inbox, _uid, false), WebmailEndpoints.PartUrl(_inbox, _uid, "2"), WebmailEndpoints.RawUrl(_inbox, _uid) })
            Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync(url)).StatusCode);
    }
}
