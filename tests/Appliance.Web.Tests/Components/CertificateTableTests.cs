using System.Text.RegularExpressions;
using Appliance.Server.Certificates;
using Appliance.Web.Components.Admin;

namespace Appliance.Web.Tests.Components;

/// <summary>The dashboard's certificate section rendered on its own: each certificate, its expiry, and the renewal's last error.</summary>
public sealed class CertificateTableTests
{
    private static readonly DateTimeOffset Issued = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static Task<string> RenderAsync(IReadOnlyList<CertificateReport> certificates, bool renewalEnabled, IReadOnlyList<LeftOutName>? leftOut = null) =>
        ComponentRenderer.RenderAsync<CertificateTable>(new Dictionary<string, object?>
        {
            ["Certificates"] = certificates,
            ["RenewalEnabled"] = renewalEnabled,
            ["LeftOut"] = leftOut ?? [],
        });

    [Fact]
    public async Task Each_certificate_shows_its_names_source_issuer_expiry_and_the_renewal_attempts_with_the_last_error_encoded()
    {
        var acme = new CertificateReport(["mail.example.org", "autoconfig.example.net"], "CN=mail.example.org", "CN=R11, O=Let's Encrypt",
            Issued, Issued.AddDays(90), CertificateSource.Acme, "AB",
            LastAttempt: Issued.AddDays(60), LastError: "The CA said <no>.", NextAttempt: Issued.AddDays(60).AddMinutes(5));
        var bootstrap = new CertificateReport(["mail.example.org"], "CN=mail.example.org", "CN=mail.example.org",
            Issued.AddDays(-1), Issued.AddDays(365), CertificateSource.SelfSigned, "CD", null, null, null);

        string html = await RenderAsync([acme, bootstrap], renewalEnabled: true,
            [new LeftOutName("mta-sts.example.net", "it has no A or AAAA record")]);

        Assert.Equal(2, Regex.Matches(html, "data-testid=\"certificate\"").Count);
        Assert.Contains("<td><code>mail.example.org</code><code>autoconfig.example.net</code></td>", html);
        Assert.Contains("<td>ACME</td>", html);
        Assert.Contains("<td>self-signed</td>", html);
        Assert.Contains("<td>CN=R11, O=Let&#x27;s Encrypt</td>", html);
        Assert.Contains("2026-11-21 12:00 UTC to <span data-testid=\"expiry\">2027-02-19 12:00 UTC</span>", html);
        Assert.Contains("2027-01-20 12:00 UTC", html);
        Assert.Contains("<div class=\"error\" data-testid=\"last-error\">Failed: The CA said &lt;no&gt;.</div>", html);
        Assert.Contains("<td>2027-01-20 12:05 UTC</td>", html);
        Assert.Single(Regex.Matches(html, "data-testid=\"last-error\""));
        Assert.Contains("<li><code>mta-sts.example.net</code>: it has no A or AAAA record</li>", html);
        Assert.DoesNotContain("data-testid=\"acme-off\"", html);
    }

    [Fact]
    public async Task With_renewal_off_the_table_says_so_and_lists_no_left_out_names()
    {
        var bootstrap = new CertificateReport(["localhost"], "CN=localhost", "CN=localhost",
            Issued, Issued.AddDays(365), CertificateSource.SelfSigned, "CD", null, null, null);
        string html = await RenderAsync([bootstrap], renewalEnabled: false);
        Assert.Contains("data-testid=\"acme-off\"", html);
        Assert.Contains("<span data-testid=\"expiry\">2027-11-21 12:00 UTC</span>", html);
        Assert.DoesNotContain("data-testid=\"left-out\"", html);
        Assert.DoesNotContain("last-error", html);
    }
}
