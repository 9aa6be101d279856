using System.Text.RegularExpressions;
using Appliance.Dns;
using Appliance.Server.DnsAdvisor;
using Appliance.Web.Components.Admin;

namespace Appliance.Web.Tests.Components;

/// <summary>The DNS records table rendered on its own: values, split TXT strings, importance, check results, and encoding of what DNS returned.</summary>
public sealed class DnsRecordTableTests
{
    private static readonly ExpectedDnsRecord Mx = new("example.org", DnsRecordType.MX, "10 mail.example.org", RecordRequirement.Required, DnsRecordPurpose.Mx, "Mail goes here.");
    private static readonly ExpectedDnsRecord Dkim = new("s._domainkey.example.org", DnsRecordType.TXT, "v=DKIM1; k=rsa; p=" + new string('A', 300),
        RecordRequirement.Required, DnsRecordPurpose.Dkim, "The key.");
    private static readonly ExpectedDnsRecord Ptr = new("10.2.0.192.in-addr.arpa", DnsRecordType.PTR, "mail.example.org", RecordRequirement.Required,
        DnsRecordPurpose.ReverseDns, "Reverse name.", SetByProvider: true);

    private static Task<string> RenderAsync(IReadOnlyList<ExpectedDnsRecord> records, IReadOnlyList<DnsCheckResult>? results = null) =>
        ComponentRenderer.RenderAsync<DnsRecordTable>(new Dictionary<string, object?> { ["Records"] = records, ["Results"] = results });

    [Fact]
    public async Task Records_render_with_their_importance_and_long_txt_values_as_255_octet_strings()
    {
        string html = await RenderAsync([Mx, Dkim, Ptr]);
        Assert.Equal(3, Regex.Matches(html, "data-testid=\"record\"").Count);
        Assert.Contains("<code>10 mail.example.org</code>", html);
        Assert.Contains("<span class=\"badge required\">required</span>", html);
        // 318 characters: one string of 255 and one of 63, each quoted.
        Assert.Contains($"<code class=\"txt\">&quot;v=DKIM1; k=rsa; p={new string('A', 237)}&quot;</code>", html);
        Assert.Contains($"<code class=\"txt\">&quot;{new string('A', 63)}&quot;</code>", html);
        Assert.Contains("(ask your hosting provider)", html);
        Assert.DoesNotContain("data-testid=\"status\"", html); // no check yet
        Assert.Contains("disabled", html); // static render: the copy buttons wait for the circuit
    }

    [Fact]
    public async Task Check_results_show_status_what_was_found_and_why_and_are_html_encoded()
    {
        var results = new List<DnsCheckResult>
        {
            new(Mx, DnsCheckStatus.Wrong, ["10 <script>alert(1)</script>.example"], "No MX record points to mail.example.org."),
            new(Dkim, DnsCheckStatus.Ok, ["v=DKIM1; p=..."]),
            new(Ptr, DnsCheckStatus.LookupFailed, [], "The lookup failed: Timeout."),
        };
        string html = await RenderAsync([Mx, Dkim, Ptr], results);
        Assert.Contains("<span class=\"status wrong\" data-testid=\"status\">wrong</span>", html);
        Assert.Contains("Found: 10 &lt;script&gt;alert(1)&lt;/script&gt;.example", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("<div class=\"detail\">No MX record points to mail.example.org.</div>", html);
        Assert.Contains("<span class=\"status ok\" data-testid=\"status\">OK</span>", html);
        Assert.DoesNotContain("Found: v=DKIM1", html); // an OK record does not list what was found
        Assert.Contains("<span class=\"status lookupfailed\" data-testid=\"status\">lookup failed</span>", html);
    }
}
