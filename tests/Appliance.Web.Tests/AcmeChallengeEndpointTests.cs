using System.Net;
using System.Security.Cryptography.X509Certificates;
using Appliance.Acme;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Tests.Shared;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Web.Tests;

/// <summary>
/// /.well-known/acme-challenge/{token} on the real host: the answers of AcmeChallengeResponses on
/// the plain HTTP listener only, and a whole issuance from pebble validating against that listener.
/// </summary>
public sealed class AcmeChallengeEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-acme-endpoint-tests-" + Guid.NewGuid().ToString("N"));
    private RunningAppliance _host = null!;
    private AcmeChallengeResponses _responses = null!;

    public async Task InitializeAsync()
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = "mail.example.org",
            ["Appliance:DataDirectory"] = _data,
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
        }
        var app = ApplianceHost.Build(ApplianceConfiguration.Load(configPath: null, overrides),
            builder => builder.Services.AddSingleton<AcmeChallengeResponses>());
        _host = await ApplianceHost.StartAsync(app);
        _responses = _host.Services.GetRequiredService<AcmeChallengeResponses>();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_known_token_is_answered_with_its_key_authorization_over_plain_HTTP_only()
    {
        _responses.Add("tok_EN-1", "tok_EN-1.thumbprint");
        _responses.Add("bad.token", "bad.token.thumbprint");
        using var http = new HttpClient { Timeout = Guard, BaseAddress = new Uri($"http://{_host.Endpoints[ListenerKind.Http]}") };

        using var answer = await http.GetAsync("/.well-known/acme-challenge/tok_EN-1");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("application/octet-stream", answer.Content.Headers.ContentType!.ToString());
        Assert.Equal("tok_EN-1.thumbprint"u8.ToArray(), await answer.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/.well-known/acme-challenge/unknown")).StatusCode);
        // Outside the base64url alphabet (RFC 8555 8.3): refused even though an answer is registered under it.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/.well-known/acme-challenge/bad.token")).StatusCode);

        _responses.Remove("tok_EN-1");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/.well-known/acme-challenge/tok_EN-1")).StatusCode);

        // The HTTPS listener does not serve answers. Its certificate is the host's own, pinned here.
        _responses.Add("tok_EN-1", "tok_EN-1.thumbprint");
        string pinned = _host.Services.GetRequiredService<ServerCertificateProvider>().Current.Thumbprint;
        using var https = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == pinned,
        }) { Timeout = Guard, BaseAddress = new Uri($"https://{_host.Endpoints[ListenerKind.Https]}") };
        Assert.Equal(HttpStatusCode.NotFound, (await https.GetAsync("/.well-known/acme-challenge/tok_EN-1")).StatusCode);
    }

    [Fact]
    public async Task Pebble_validates_against_the_hosts_HTTP_listener_and_the_issuer_gets_a_certificate()
    {
        await using var pebble = await PebbleServer.StartAsync(_host.Endpoints[ListenerKind.Http].Port);
        var options = new ApplianceOptions
        {
            DataDirectory = _data,
            Acme = new AcmeOptions { Enabled = true, DirectoryUrl = pebble.DirectoryUrl.AbsoluteUri, DirectoryTrustPath = pebble.TrustPath },
        };
        using var issuer = new AcmeCertificateIssuer(options, _responses, NullLogger.Instance,
            new AcmeClientOptions { PollInterval = TimeSpan.FromMilliseconds(50) }, TimeProvider.System);

        var issued = await issuer.IssueAsync(["mail.example.org"]);

        Assert.True(issued.Certificate.HasPrivateKey);
        Assert.Equal(["mail.example.org"], issued.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pebble.IssuingRoot);
        chain.ChainPolicy.ExtraStore.AddRange(issued.Chain);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(issued.Certificate));
    }
}
