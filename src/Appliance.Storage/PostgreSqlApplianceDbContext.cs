using Microsoft.EntityFrameworkCore;

namespace Appliance.Storage;

/// <summary>
/// The same model on PostgreSQL (the scale-out option). A type of its own only so that its
/// migrations (identity columns, timestamptz) are kept apart from SQLite's.
/// </summary>
public sealed class PostgreSqlApplianceDbContext(DbContextOptions<PostgreSqlApplianceDbContext> options) : ApplianceDbContext(options);
