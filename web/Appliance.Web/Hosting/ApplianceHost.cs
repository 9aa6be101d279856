using System.Net;
using Appliance.Server.Webmail;
using Appliance.Server;
using Appliance.Server.Accounts;
using Appliance.Server.Certificates;
using Appliance.Server.ClientSetup;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Dkim;
using Appliance.Server.DnsAdvisor;
using Appliance.Server.Imap;
using Appliance.Server.Queue;
using Appliance.Server.Pop3;
using Appliance.Server.Smtp;
using Appliance.Web.Admin;
using Appliance.Web.ClientSetup;
using Appliance.Server.Listeners;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Web.Hosting;

/// <summary>
/// Builds and runs the one process: the web UI and the SMTP, IMAP and POP3 listeners on one Kestrel.
/// The CLI's `serve` calls <see cref="RunAsync"/>; tests call <see cref="StartAsync(IConfiguration, CancellationToken)"/>
/// with a configuration from <see cref="ApplianceConfiguration.Load"/> (temporary data directory, ports 0).
/// </summary>
public static partial class ApplianceHost
{
    /// <summary>Answers "ok" on the HTTP and HTTPS endpoints: for monitoring, installers and tests.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>
    /// Builds the application: options bound from <paramref name="configuration"/>, the shared
    /// services, the listener plumbing and every enabled endpoint. <paramref name="configureBuilder"/>
    /// may add services (the UI's, the API's) before the build; callers may map web endpoints on the
    /// returned application before starting it with <see cref="StartAsync(WebApplication, CancellationToken)"/>.
    /// </summary>
    public static WebApplication Build(IConfiguration configuration, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = ApplianceConfiguration.Bind(configuration);
        options.Listeners.Limits.Validate();
        options.Smtp.Validate();
        options.Imap.Validate();
        options.Pop3.Validate();
        options.Dns.ToResolverOptions(); // throws with the setting's name when a value is bad

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // Named after the executable, not the entry assembly (a test host when under test), and
            // rooted beside it, so that a service started from any working directory finds its files.
            ApplicationName = typeof(ApplianceHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(configuration);
        // Our start-up block says where each protocol listens; the host's own "Now listening on"
        // lines would list SMTP, IMAP and POP3 as http:// and https:// addresses.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // EF Core logs every SQL command at Information; the server's log is about mail, not queries.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);

        builder.Services.AddApplianceServices(options);
        builder.Services.AddMailListeners();
        builder.Services.AddDnsSetup();
        builder.Services.AddClientSetup();
        builder.Services.AddAdminUi();
        builder.Services.AddSingleton<IBoundListenerPorts>(sp => sp.GetRequiredService<ApplianceEndpoints>());
        // The mail engines and what they deliver through: DKIM signing, the delivery log, the
        // outbound queue and its worker, local delivery, and the SMTP, IMAP and POP3 servers.
        builder.Services.AddDkimSigning();
        builder.Services.AddDeliveryLog();
        builder.Services.AddOutboundQueue();
        builder.Services.AddSmtpServer();
        builder.Services.AddImapServer();
        builder.Services.AddPop3Server();
        builder.Services.AddWebmail();
        builder.Services.AddSingleton<ApplianceEndpoints>();
        // How long mail sessions get to say goodbye before Kestrel aborts them.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Listeners.Limits.ShutdownTimeout);

        // From a build (a checkout, tests) the UI's files are found through the static web assets
        // manifest next to the binaries; a published build has them in wwwroot and no manifest.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureEndpoints(kestrel, options));
        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        app.MapGet(HealthPath, () => Results.Text("ok\n"));
        app.MapClientSetup();
        app.MapMtaSts();
        app.MapAcmeChallenge();
        app.MapAdminUi();
        return app;
    }

    /// <summary>Builds and starts; see <see cref="StartAsync(WebApplication, CancellationToken)"/>.</summary>
    public static Task<RunningAppliance> StartAsync(IConfiguration configuration, CancellationToken cancellationToken = default) =>
        StartAsync(Build(configuration), cancellationToken);

    /// <summary>
    /// Prepares the data directory and database (InitializeApplianceAsync), loads or creates the
    /// server certificate, starts every listener and logs the start-up block. On failure the
    /// application is disposed and the exception rethrown.
    /// </summary>
    public static async Task<RunningAppliance> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.Services.InitializeApplianceAsync(cancellationToken);
            var certificates = app.Services.GetRequiredService<ServerCertificateProvider>();
            certificates.LoadOrCreate();
            await app.StartAsync(cancellationToken);

            var running = new RunningAppliance(app);
            bool hasAdministrator = await app.Services.GetRequiredService<AccountService>().HasAdministratorAsync(cancellationToken);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApplianceHost));
            LogStarted(logger, StartupBanner.Render(running.Options, running.Endpoints, certificates.CertificatePath, hasAdministrator));
            if (!hasAdministrator && running.Endpoints.TryGet(ListenerKind.Https, out var https))
            {
                // First run: only whoever reads this log can create the first administrator in the browser.
                string token = app.Services.GetRequiredService<SetupToken>().Issue();
                AdminLog.SetupOpen(logger, $"https://{running.Options.Hostname}:{https.Port}{AdminUi.SetupPath}", token);
            }
            else
            {
                // Removes the copy a previous run left for `appliance setup-token`.
                app.Services.GetRequiredService<SetupToken>().Close();
            }
            return running;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs until SIGTERM / Ctrl+C (or <paramref name="cancellationToken"/>), then drains the mail
    /// sessions and stops. For the CLI's `serve`.
    /// </summary>
    public static Task RunAsync(IConfiguration configuration, CancellationToken cancellationToken = default) =>
        RunAsync(Build(configuration), cancellationToken);

    /// <summary>As <see cref="RunAsync(IConfiguration, CancellationToken)"/>, for an application from <see cref="Build"/>.</summary>
    public static async Task RunAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var running = await StartAsync(app, cancellationToken);
        await running.WaitForShutdownAsync(cancellationToken);
    }

    private static void ConfigureEndpoints(KestrelServerOptions kestrel, ApplianceOptions options)
    {
        var endpoints = kestrel.ApplicationServices.GetRequiredService<ApplianceEndpoints>();
        bool any = false;
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            var endpoint = options.Listeners.Endpoint(kind);
            if (!endpoint.Enabled)
                continue;
            any = true;
            kestrel.Listen(ParseAddress(kind, endpoint.Address), endpoint.Port, listen =>
            {
                endpoints.Add(kind, listen);
                switch (kind)
                {
                    case ListenerKind.Http:
                        break;
                    case ListenerKind.Https:
                        listen.UseServerCertificate();
                        break;
                    default:
                        listen.UseMailEndpoint(kind);
                        break;
                }
            });
        }
        if (!any)
            throw new ApplianceConfigurationException("Every listener is disabled in Appliance:Listeners; enable at least one.");
    }

    /// <summary>An IP literal; "::" or "*" for every interface (dual-stack), "localhost" for 127.0.0.1.</summary>
    private static IPAddress ParseAddress(ListenerKind kind, string? address)
    {
        string value = address?.Trim() ?? "";
        if (value is "*" or "")
            return IPAddress.IPv6Any;
        if (value.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        if (IPAddress.TryParse(value.Trim('[', ']'), out var parsed))
            return parsed;
        throw new ApplianceConfigurationException(
            $"Appliance:Listeners:{kind}:Address '{address}' is not an IP address (use \"::\" for all interfaces).");
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "{Banner}")]
    private static partial void LogStarted(ILogger logger, string banner);
}
