using Appliance.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Appliance.Migrations;

/// <summary>
/// Lets `dotnet ef migrations add X --project migrations/Appliance.Migrations --startup-project
/// migrations/Appliance.Migrations` build the model without the web host. The migrations are
/// SQLite's (the default provider); the database file named here is never created.
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ApplianceDbContext>
{
    public ApplianceDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<ApplianceDbContext>();
        ApplianceDatabase.UseSqlite(builder, ApplianceDatabase.SqliteConnectionString("design-time.db"));
        return new ApplianceDbContext(builder.Options);
    }
}
