using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Storage;

/// <summary>
/// The configuration database: domains, mailboxes, aliases, DKIM keys, settings, audit log. This
/// type carries the SQLite migrations; <see cref="PostgreSqlApplianceDbContext"/> carries
/// PostgreSQL's, since EF Core keeps one migration set per context type.
/// </summary>
public class ApplianceDbContext : DbContext
{
    public ApplianceDbContext(DbContextOptions<ApplianceDbContext> options)
        : base(options)
    {
    }

    protected ApplianceDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Domain> Domains => Set<Domain>();
    public DbSet<Mailbox> Mailboxes => Set<Mailbox>();
    public DbSet<Alias> Aliases => Set<Alias>();
    public DbSet<AliasDestination> AliasDestinations => Set<AliasDestination>();
    public DbSet<DkimKey> DkimKeys => Set<DkimKey>();
    public DbSet<Setting> Settings => Set<Setting>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<MailboxSettings> MailboxSettings => Set<MailboxSettings>();
    public DbSet<VacationReply> VacationReplies => Set<VacationReply>();
    public DbSet<FailedSignIn> FailedSignIns => Set<FailedSignIn>();

    /// <summary>Every context counts its writes, however it was created (see <see cref="ConfigurationVersion"/>).</summary>
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.AddInterceptors(ConfigurationVersion.Interceptors);

    protected override void OnModelCreating(ModelBuilder model)
    {
        // Lengths follow RFC 5321 4.5.3.1: local part 64, domain 255, path 256 octets.
        model.Entity<Domain>(e =>
        {
            e.Property(d => d.Name).HasMaxLength(255);
            e.HasIndex(d => d.Name).IsUnique();
        });

        model.Entity<Mailbox>(e =>
        {
            e.Property(m => m.Address).HasMaxLength(320);
            e.Property(m => m.LocalPart).HasMaxLength(64);
            e.Property(m => m.DisplayName).HasMaxLength(200);
            e.Property(m => m.PasswordHash).HasMaxLength(512);
            e.Property(m => m.TotpSecret).HasMaxLength(1024);
            e.Property(m => m.RecoveryCodeHashes).HasMaxLength(2048);
            e.HasIndex(m => m.Address).IsUnique();
            e.HasIndex(m => m.StoreId).IsUnique();
            // A domain with mailboxes cannot disappear underneath them; removal is explicit (forced).
            e.HasOne(m => m.Domain).WithMany(d => d.Mailboxes).HasForeignKey(m => m.DomainId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(m => m.AdministeredDomains).WithMany().UsingEntity(j => j.ToTable("MailboxAdministeredDomains"));
        });

        model.Entity<Alias>(e =>
        {
            e.Property(a => a.Source).HasMaxLength(320);
            e.HasIndex(a => a.Source).IsUnique();
            e.HasOne(a => a.Domain).WithMany(d => d.Aliases).HasForeignKey(a => a.DomainId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(a => a.Destinations).WithOne().HasForeignKey(d => d.AliasId).OnDelete(DeleteBehavior.Cascade);
            e.Ignore(a => a.IsCatchAll);
        });

        model.Entity<AliasDestination>(e =>
        {
            e.Property(d => d.Address).HasMaxLength(320);
            e.HasIndex(d => new { d.AliasId, d.Address }).IsUnique();
        });

        model.Entity<DkimKey>(e =>
        {
            e.Property(k => k.Selector).HasMaxLength(63);
            e.HasIndex(k => new { k.DomainId, k.Selector }).IsUnique();
            e.HasOne(k => k.Domain).WithMany(d => d.DkimKeys).HasForeignKey(k => k.DomainId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Setting>(e =>
        {
            e.HasKey(s => s.Key);
            e.Property(s => s.Key).HasMaxLength(200);
        });

        model.Entity<ApiToken>(e =>
        {
            e.Property(t => t.Name).HasMaxLength(100);
            e.Property(t => t.SecretHash).HasMaxLength(32);
            // A removed mailbox takes its tokens with it.
            e.HasOne(t => t.Mailbox).WithMany().HasForeignKey(t => t.MailboxId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<MailboxSettings>(e =>
        {
            e.HasKey(s => s.MailboxId);
            e.Property(s => s.Signature).HasMaxLength(Entities.MailboxSettings.MaxSignatureLength);
            e.Property(s => s.VacationSubject).HasMaxLength(Entities.MailboxSettings.MaxVacationSubjectLength);
            e.Property(s => s.VacationText).HasMaxLength(Entities.MailboxSettings.MaxVacationTextLength);
            // A removed mailbox takes its settings with it.
            e.HasOne(s => s.Mailbox).WithOne().HasForeignKey<MailboxSettings>(s => s.MailboxId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<VacationReply>(e =>
        {
            e.Property(r => r.Sender).HasMaxLength(VacationReply.MaxSenderLength);
            // One row per (mailbox, sender): the responder claims a reply by updating or inserting it.
            e.HasIndex(r => new { r.MailboxId, r.Sender }).IsUnique();
            e.HasOne<Mailbox>().WithMany().HasForeignKey(r => r.MailboxId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<FailedSignIn>(e =>
        {
            e.Property(f => f.Address).HasMaxLength(FailedSignIn.MaxAddressLength);
            e.Property(f => f.Client).HasMaxLength(FailedSignIn.MaxClientLength);
            // The Logs page reads the newest first and pruning deletes the oldest.
            e.HasIndex(f => f.TimeUtc);
        });

        model.Entity<AuditEvent>(e =>
        {
            e.Property(a => a.Actor).HasMaxLength(320);
            e.Property(a => a.Action).HasMaxLength(64);
            e.Property(a => a.Target).HasMaxLength(320);
            e.HasIndex(a => a.TimestampUtc);
        });
    }
}
