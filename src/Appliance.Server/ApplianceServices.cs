using Appliance.Server.Accounts;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Security;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server;

/// <summary>
/// Registers the services every entry point shares (configuration database, account service,
/// message store) and prepares them at start-up (database migrations).
/// </summary>
public static class ApplianceServices
{
    public const string DatabaseFileName = "appliance.db";

    public static IServiceCollection AddApplianceServices(this IServiceCollection services, ApplianceOptions options)
    {
        services.AddSingleton(options);
        services.AddOptions();
        services.TryAddSingleton(TimeProvider.System);
        AddDatabase(services, options);

        // Identity's v3 format: PBKDF2-HMAC-SHA512, 100,000 iterations, 128-bit salt.
        services.AddSingleton<IPasswordHasher<Mailbox>, PasswordHasher<Mailbox>>();
        // One store per process: it holds the shared per-account objects (locks, change notifications).
        services.AddSingleton(_ => new MessageStore(options.MailStorePath));
        services.AddSingleton<AccountService>();
        services.AddSingleton<RecipientResolver>();
        services.AddSingleton<PasswordAuthenticator>();
        services.AddSingleton<ApiTokenService>();
        services.AddSingleton<TwoFactorService>();
        services.AddSingleton<SignInFailureLog>();
        services.AddSingleton<ServerSettings>();
        services.AddSingleton<UserSettingsService>();
        // Used by local delivery; needs the outbound queue and signer, which the hosts that deliver register.
        services.AddSingleton<VacationResponder>();

        // One application name so the server and the CLI read each other's protected values.
        services.AddDataProtection()
            .SetApplicationName("Appliance")
            .PersistKeysToFileSystem(new DirectoryInfo(KeyRingPath(options)));
        services.AddSingleton<SecretProtector>();
        AddCertificateRenewal(services, options);
        return services;
    }

    /// <summary>
    /// The HTTP-01 answers (served by the web host whether or not ACME is on, so the endpoint is
    /// always the same) and, when Appliance:Acme:Enabled, the renewal with its issuer. The listener
    /// wiring (AddMailListeners) registers the certificate provider and status it works with.
    /// </summary>
    private static void AddCertificateRenewal(IServiceCollection services, ApplianceOptions options)
    {
        services.TryAddSingleton<AcmeChallengeResponses>();
        if (!options.Acme.Enabled)
            return;
        options.Acme.Validate();
        // Tests put a local CA in first; otherwise the ACME client issues.
        services.TryAddSingleton<ICertificateIssuer, AcmeCertificateIssuer>();
        services.TryAddSingleton<CertificateNamePlanner>();
        services.AddHostedService(CreateCertificateManager);
    }

    private static CertificateManager CreateCertificateManager(IServiceProvider services) => new(
        services.GetRequiredService<ApplianceOptions>(),
        services.GetRequiredService<ICertificateIssuer>(),
        services.GetRequiredService<CertificateNamePlanner>(),
        services.GetRequiredService<ServerCertificateProvider>(),
        services.GetRequiredService<CertificateStatus>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<CertificateManager>>(),
        services.GetService<IHostApplicationLifetime>());

    /// <summary>The Data Protection key ring (readable by the service user only).</summary>
    public static string KeyRingPath(ApplianceOptions options) => Path.Combine(options.DataPath, "keys");

    /// <summary>
    /// Every service asks for IDbContextFactory&lt;ApplianceDbContext&gt;. On PostgreSQL that factory
    /// hands out <see cref="PostgreSqlApplianceDbContext"/>, whose migrations are PostgreSQL's.
    /// </summary>
    private static void AddDatabase(IServiceCollection services, ApplianceOptions options)
    {
        switch (options.Database.Provider)
        {
            case DatabaseProvider.Sqlite:
                string sqlite = options.Database.ConnectionString
                    ?? ApplianceDatabase.SqliteConnectionString(Path.Combine(options.DataPath, DatabaseFileName));
                services.AddDbContextFactory<ApplianceDbContext>(builder => ApplianceDatabase.UseSqlite(builder, sqlite));
                services.AddSingleton(_ => new ConfigurationVersion(sqlite));
                break;
            case DatabaseProvider.PostgreSql:
                string postgres = RequirePostgreSqlConnectionString(options);
                services.AddDbContextFactory<PostgreSqlApplianceDbContext>(builder => ApplianceDatabase.UsePostgreSql(builder, postgres));
                services.AddSingleton<IDbContextFactory<ApplianceDbContext>>(sp =>
                    new PostgreSqlContextFactory(sp.GetRequiredService<IDbContextFactory<PostgreSqlApplianceDbContext>>()));
                services.AddSingleton(_ => new ConfigurationVersion(null));
                break;
            default:
                throw new ApplianceConfigurationException($"Unknown database provider '{options.Database.Provider}'.");
        }
    }

    private static string RequirePostgreSqlConnectionString(ApplianceOptions options) =>
        string.IsNullOrWhiteSpace(options.Database.ConnectionString)
            ? throw new ApplianceConfigurationException("Appliance:Database:ConnectionString is required when the provider is PostgreSql.")
            : options.Database.ConnectionString;

    private sealed class PostgreSqlContextFactory(IDbContextFactory<PostgreSqlApplianceDbContext> inner) : IDbContextFactory<ApplianceDbContext>
    {
        public ApplianceDbContext CreateDbContext() => inner.CreateDbContext();
    }

    /// <summary>
    /// Creates the data directory, applies pending migrations and lays the settings stored from the
    /// admin UI (<see cref="ServerSettings"/>) over the options. Call once before serving: every
    /// component reads the options after this.
    /// </summary>
    public static async Task InitializeApplianceAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var options = services.GetRequiredService<ApplianceOptions>();
        Directory.CreateDirectory(options.DataPath);
        Directory.CreateDirectory(options.MailStorePath);
        CreatePrivateDirectory(KeyRingPath(options));
        var factory = services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await ApplianceDatabase.MigrateAsync(db, cancellationToken);
        await ServerSettings.ApplyStoredAsync(db, options, services.GetService<ILoggerFactory>()?.CreateLogger<ServerSettings>(), cancellationToken);
    }

    private static void CreatePrivateDirectory(string path)
    {
        var info = Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }
}
