using Appliance.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Appliance.Migrations;

/// <summary>
/// For `dotnet ef migrations add X --context PostgreSqlApplianceDbContext --output-dir PostgreSql`.
/// Generating a migration never connects, so the connection string only has to parse.
/// </summary>
internal sealed class PostgreSqlDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlApplianceDbContext>
{
    public PostgreSqlApplianceDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgreSqlApplianceDbContext>();
        ApplianceDatabase.UsePostgreSql(builder, "Host=localhost;Database=appliance_design_time");
        return new PostgreSqlApplianceDbContext(builder.Options);
    }
}
