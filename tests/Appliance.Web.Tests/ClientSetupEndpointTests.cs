using System.Net;
using System.Text;
using System.Xml.Linq;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Web.ClientSetup;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests;

/// <summary>Autoconfig, autodiscover and the Apple profile over HTTP on the real host, advertising the ports it really bound.</summary>
public sealed class ClientSetupEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-clientsetup-tests-" + Guid.NewGuid().ToString("N"));
    private RunningAppliance _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = "mail.appliance.test",
            ["Appliance:DataDirectory"] = _data,
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
        }
        overrides["Appliance:Listeners:Pop3:Enabled"] = "false";
        _host = await ApplianceHost.StartAsync(ApplianceConfiguration.Load(configPath: null, overrides));
        await _host.Services.GetRequiredService<AccountService>().AddDomainAsync("example.org", "test");
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = Guard, BaseAddress = new Uri($"http://{_host.Endpoints[ListenerKind.Http]}") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.StopAsync();
        await _host.DisposeAsync();
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Thunderbird_autoconfig_by_address_or_by_autoconfig_host_with_bound_ports()
    {
        foreach (string path in new[] { "/mail/config-v1.1.xml?emailaddress=alice%40example.org", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40example.org" })
        {
            using var response = await _http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
            var document = XDocument.Parse(await response.Content.ReadAsStringAsync());
            var imap = document.Descendants("incomingServer").First();
            Assert.Equal(("imap", "mail.appliance.test", _host.Endpoints[ListenerKind.Imaps].Port.ToString()),
                (imap.Attribute("type")!.Value, imap.Element("hostname")!.Value, imap.Element("port")!.Value));
            Assert.DoesNotContain(document.Descendants("incomingServer"), s => s.Element("socketType")!.Value == "STARTTLS" && s.Attribute("type")!.Value == "pop3");
        }

        using var byHost = new HttpRequestMessage(HttpMethod.Get, "/mail/config-v1.1.xml");
        byHost.Headers.Host = "autoconfig.example.org";
        using (var response = await _http.SendAsync(byHost))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/mail/config-v1.1.xml?emailaddress=bob%40elsewhere.example")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync("/mail/config-v1.1.xml")).StatusCode);
    }

    [Fact]
    public async Task Outlook_autodiscover_answers_a_post_and_refuses_oversized_requests()
    {
        const string request = "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\"><Request><EMailAddress>alice@example.org</EMailAddress></Request></Autodiscover>";
        using var response = await _http.PostAsync("/Autodiscover/Autodiscover.xml", new StringContent(request, Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<LoginName>alice@example.org</LoginName>", await response.Content.ReadAsStringAsync());

        string huge = request.Replace("<Request>", "<Request>" + new string(' ', 20_000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await _http.PostAsync("/autodiscover/autodiscover.xml", new StringContent(huge))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("/autodiscover/autodiscover.xml", new StringContent(request.Replace("example.org", "elsewhere.example")))).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await _http.GetAsync("/autodiscover/autodiscover.xml")).StatusCode);
    }

    [Fact]
    public async Task The_mta_sts_policy_is_served_over_https_for_hosted_domains_only()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var https = new HttpClient(handler) { Timeout = Guard, BaseAddress = new Uri($"https://{_host.Endpoints[ListenerKind.Https]}") };
        async Task<HttpResponseMessage> GetAsync(HttpClient client, string host)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/mta-sts.txt");
            request.Headers.Host = host;
            return await client.SendAsync(request);
        }
        var policy = await GetAsync(https, "mta-sts.example.org");
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        Assert.Equal("text/plain", policy.Content.Headers.ContentType!.MediaType);
        Assert.Equal("version: STSv1\r\nmode: testing\r\nmx: mail.appliance.test\r\nmax_age: 604800\r\n", await policy.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(https, "mta-sts.elsewhere.example")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(https, "mail.appliance.test")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(_http, "mta-sts.example.org")).StatusCode);
    }

    [Fact]
    public async Task The_apple_profile_downloads_as_an_attachment_over_https_only()
    {
        using var plain = await _http.GetAsync($"{ClientSetupEndpoints.AppleProfilePath}?emailaddress=alice%40example.org");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, plain.StatusCode);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var https = new HttpClient(handler) { Timeout = Guard, BaseAddress = new Uri($"https://{_host.Endpoints[ListenerKind.Https]}") };
        using var response = await https.GetAsync($"{ClientSetupEndpoints.AppleProfilePath}?emailaddress=alice%40example.org&name=Alice");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-apple-aspen-config", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("mail.mobileconfig", response.Content.Headers.ContentDisposition.FileName?.Trim('"'));
        string profile = await response.Content.ReadAsStringAsync();
        Assert.Contains("<string>com.apple.mail.managed</string>", profile);
        Assert.Contains($"<integer>{_host.Endpoints[ListenerKind.Smtps].Port}</integer>", profile);
        Assert.Equal(HttpStatusCode.NotFound, (await https.GetAsync($"{ClientSetupEndpoints.AppleProfilePath}?emailaddress=x%40elsewhere.example")).StatusCode);
    }
}
