using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Security;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        services.AddDbContextFactory<ApplianceDbContext>(builder => ConfigureDatabase(builder, options));

        // Identity's v3 format: PBKDF2-HMAC-SHA512, 100,000 iterations, 128-bit salt.
        services.AddSingleton<IPasswordHasher<Mailbox>, PasswordHasher<Mailbox>>();
        // One store per process: it holds the shared per-account objects (locks, change notifications).
        services.AddSingleton(_ => new MessageStore(options.MailStorePath));
        services.AddSingleton<AccountService>();
        services.AddSingleton<RecipientResolver>();
        services.AddSingleton<PasswordAuthenticator>();

        // One application name so the server and the CLI read each other's protected values.
        services.AddDataProtection()
            .SetApplicationName("Appliance")
            .PersistKeysToFileSystem(new DirectoryInfo(KeyRingPath(options)));
        services.AddSingleton<SecretProtector>();
        return services;
    }

    /// <summary>The Data Protection key ring (readable by the service user only).</summary>
    public static string KeyRingPath(ApplianceOptions options) => Path.Combine(options.DataPath, "keys");

    public static void ConfigureDatabase(DbContextOptionsBuilder builder, ApplianceOptions options)
    {
        switch (options.Database.Provider)
        {
            case DatabaseProvider.Sqlite:
                ApplianceDatabase.UseSqlite(builder, options.Database.ConnectionString
                    ?? ApplianceDatabase.SqliteConnectionString(Path.Combine(options.DataPath, DatabaseFileName)));
                break;
            case DatabaseProvider.PostgreSql:
                if (string.IsNullOrWhiteSpace(options.Database.ConnectionString))
                    throw new ApplianceConfigurationException("Appliance:Database:ConnectionString is required when the provider is PostgreSql.");
                ApplianceDatabase.UsePostgreSql(builder, options.Database.ConnectionString);
                break;
            default:
                throw new ApplianceConfigurationException($"Unknown database provider '{options.Database.Provider}'.");
        }
    }

    /// <summary>Creates the data directory and applies pending migrations. Call once before serving.</summary>
    public static async Task InitializeApplianceAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var options = services.GetRequiredService<ApplianceOptions>();
        Directory.CreateDirectory(options.DataPath);
        Directory.CreateDirectory(options.MailStorePath);
        CreatePrivateDirectory(KeyRingPath(options));
        var factory = services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await ApplianceDatabase.MigrateAsync(db, cancellationToken);
    }

    private static void CreatePrivateDirectory(string path)
    {
        var info = Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }
}
