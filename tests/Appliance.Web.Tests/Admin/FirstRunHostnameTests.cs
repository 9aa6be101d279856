using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Microsoft.Extensions.DependencyInjection;

using static Appliance.Web.Tests.Admin.AdminWebHost;

namespace Appliance.Web.Tests.Admin;

/// <summary>The setup page's mail host name: prefilled, validated, stored, used from the next start until the configuration changes it.</summary>
public sealed class FirstRunHostnameTests
{
    [Fact]
    public async Task Setup_stores_a_changed_host_name_that_the_next_start_uses_for_the_banner_ehlo_and_certificate()
    {
        string data = NewDataDirectory();
        try
        {
            await using (var web = await AdminWebHost.StartAsync(dataDirectory: data))
            {
                using var client = web.Client(out _);
                string token = web.IssueSetupToken();
                var settings = web.Host.Services.GetRequiredService<ServerSettings>();

                // The configured name is offered.
                var field = System.Text.RegularExpressions.Regex.Match(await client.GetStringAsync("/setup"), "<input[^>]*name=\"Input.Hostname\"[^>]*>");
                Assert.Contains("value=\"mail.example.org\"", field.Value);

                // A name that is not a host name is refused with the reason, and nothing is created.
                var refused = await PostFormAsync(client, "/setup", "setup", ("Input.Token", token), ("Input.Hostname", "localhost"),
                    ("Input.Domain", "example.org"), ("Input.AdminAddress", "admin@example.org"), ("Input.Password", "correct horse"), ("Input.PasswordAgain", "correct horse"));
                Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
                Assert.Contains("Mail host name: &#x27;localhost&#x27; needs at least two labels, like example.com.", await refused.Content.ReadAsStringAsync());
                Assert.Empty(await web.Host.Services.GetRequiredService<AccountService>().ListDomainsAsync());
                Assert.Null(await settings.GetStoredHostnameAsync());

                var done = await PostFormAsync(client, "/setup", "setup", ("Input.Token", token), ("Input.Hostname", " MX.Example.ORG. "),
                    ("Input.Domain", "example.org"), ("Input.AdminAddress", "admin@example.org"), ("Input.Password", "correct horse"), ("Input.PasswordAgain", "correct horse"));
                Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
                Assert.Equal("/signin?setup=done", done.Headers.Location!.PathAndQuery);
                // Stored normalized; this run keeps the name its listeners and certificate were made with.
                Assert.Equal("mx.example.org", await settings.GetStoredHostnameAsync());
                Assert.Equal("mail.example.org", web.Host.Options.Hostname);
                Assert.Equal("220 mail.example.org ESMTP Appliance", (await SmtpGreetingAndEhloAsync(web)).Greeting);
            }

            // The next start on the same data directory, with the same configuration, uses the stored name.
            await using (var restarted = await AdminWebHost.StartAsync(dataDirectory: data))
            {
                Assert.Equal("mx.example.org", restarted.Host.Options.Hostname);
                var (greeting, ehlo) = await SmtpGreetingAndEhloAsync(restarted);
                Assert.Equal("220 mx.example.org ESMTP Appliance", greeting);
                Assert.Equal("250-mx.example.org Hello client.example.net [127.0.0.1]", ehlo);
                Assert.Equal(["mx.example.org"], await CertificateNamesAsync(restarted));
            }

            // A host name configured later is the newer decision: it wins over the stored one.
            var reconfigured = new Dictionary<string, string?> { ["Appliance:Hostname"] = "smtp.example.org" };
            await using (var later = await AdminWebHost.StartAsync(reconfigured, data))
            {
                Assert.Equal("smtp.example.org", later.Host.Options.Hostname);
                Assert.Equal("220 smtp.example.org ESMTP Appliance", (await SmtpGreetingAndEhloAsync(later)).Greeting);
                Assert.Equal("mx.example.org", await later.Host.Services.GetRequiredService<ServerSettings>().GetStoredHostnameAsync());
            }
        }
        finally
        {
            DeleteDataDirectory(data);
        }
    }

    [Fact]
    public async Task Setup_with_the_configured_host_name_stores_no_override()
    {
        await using var web = await AdminWebHost.StartAsync();
        using var client = web.Client(out _);
        string token = web.IssueSetupToken();
        var done = await PostFormAsync(client, "/setup", "setup", ("Input.Token", token), ("Input.Hostname", "mail.example.org"),
            ("Input.Domain", "example.org"), ("Input.AdminAddress", "admin@example.org"), ("Input.Password", "correct horse"), ("Input.PasswordAgain", "correct horse"));
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Null(await web.Host.Services.GetRequiredService<ServerSettings>().GetStoredHostnameAsync());
    }

    /// <summary>The SMTP greeting and the first line of the EHLO answer on port 25's listener.</summary>
    private static async Task<(string Greeting, string Ehlo)> SmtpGreetingAndEhloAsync(AdminWebHost web)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(web.Host.Endpoints[ListenerKind.Smtp]).WaitAsync(Guard);
        using var reader = new StreamReader(tcp.GetStream());
        await using var writer = new StreamWriter(tcp.GetStream()) { NewLine = "\r\n", AutoFlush = true };
        string greeting = (await reader.ReadLineAsync().WaitAsync(Guard))!;
        await writer.WriteLineAsync("EHLO client.example.net");
        string ehlo = (await reader.ReadLineAsync().WaitAsync(Guard))!;
        await writer.WriteLineAsync("QUIT");
        return (greeting, ehlo);
    }

    /// <summary>The DNS names of the certificate the HTTPS listener presents.</summary>
    private static async Task<List<string>> CertificateNamesAsync(AdminWebHost web)
    {
        List<string>? names = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                names = certificate!.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
                return true;
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = web.Https, Timeout = Guard };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        return names!;
    }
}
