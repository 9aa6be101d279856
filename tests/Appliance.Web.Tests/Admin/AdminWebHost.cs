using System.Net;
using System.Text.RegularExpressions;
using Appliance.Dns;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Web.Admin;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Admin;

/// <summary>
/// The real host on ports 0 with a fake DNS zone, for the admin UI's tests: HTTP clients with a
/// cookie jar, and the setup token (issued again here, as the operator would read it from the log).
/// </summary>
internal sealed partial class AdminWebHost : IAsyncDisposable
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly string _data;
    private readonly bool _ownsData;

    private AdminWebHost(string data, bool ownsData, RunningAppliance host, FakeDnsResolver dns)
    {
        _data = data;
        _ownsData = ownsData;
        Host = host;
        Dns = dns;
    }

    public RunningAppliance Host { get; }

    public FakeDnsResolver Dns { get; }

    public Uri Https => new($"https://127.0.0.1:{Host.Endpoints[ListenerKind.Https].Port}/");

    public Uri Http => new($"http://127.0.0.1:{Host.Endpoints[ListenerKind.Http].Port}/");

    /// <summary>A new temporary data directory for one host's life (deleted with it).</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "appliance-admin-tests-" + Guid.NewGuid().ToString("N"));

    /// <param name="settings">Configuration over the test defaults (Appliance:... keys).</param>
    /// <param name="dataDirectory">A data directory the caller keeps and deletes (a host started twice on it); else a new one deleted on dispose.</param>
    public static async Task<AdminWebHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        string data = dataDirectory ?? NewDataDirectory();
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = "mail.example.org",
            ["Appliance:DataDirectory"] = data,
            ["Appliance:PublicAddresses:0"] = "192.0.2.10",
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            overrides[key] = value;
        var dns = new FakeDnsResolver();
        var app = ApplianceHost.Build(ApplianceConfiguration.Load(configPath: null, overrides),
            builder => builder.Services.AddSingleton<IDnsResolver>(dns));
        return new AdminWebHost(data, dataDirectory is null, await ApplianceHost.StartAsync(app), dns);
    }

    public string IssueSetupToken() => Host.Services.GetRequiredService<SetupToken>().Issue();

    /// <summary>A client that keeps cookies, trusts the host's self-signed certificate and does not follow redirects.</summary>
    public HttpClient Client(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        var handler = new HttpClientHandler
        {
            CookieContainer = cookies,
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        return new HttpClient(handler) { BaseAddress = Https, Timeout = Guard };
    }

    /// <summary>Posts a page's form (its antiforgery token read from the page first), as the browser does.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, string handler, params (string Name, string Value)[] fields)
    {
        string page = await client.GetStringAsync(path);
        var form = new List<KeyValuePair<string, string>>
        {
            new("_handler", handler),
            new("__RequestVerificationToken", FormToken(page)),
        };
        form.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    /// <summary>Signs in through the sign-in page's form; a redirect means success.</summary>
    public static Task<HttpResponseMessage> SignInAsync(HttpClient client, string address, string password) =>
        PostFormAsync(client, "/signin", "signin", ("Input.Address", address), ("Input.Password", password));

    /// <summary>The antiforgery token of the form on a page.</summary>
    public static string FormToken(string html) => TokenPattern().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("No antiforgery token on the page");

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    /// <summary>Deletes a data directory once its hosts are gone (their pooled SQLite connections closed first).</summary>
    public static void DeleteDataDirectory(string data)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(data))
            Directory.Delete(data, recursive: true);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        if (_ownsData)
            DeleteDataDirectory(_data);
    }
}
