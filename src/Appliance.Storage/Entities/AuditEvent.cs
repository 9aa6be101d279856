namespace Appliance.Storage.Entities;

/// <summary>Who changed what, when. Written in the same transaction as the change it records.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTime TimestampUtc { get; set; }

    /// <summary>The acting user's address, or "cli" / "system".</summary>
    public required string Actor { get; set; }

    /// <summary>Stable action name, e.g. "domain.add", "mailbox.passwd".</summary>
    public required string Action { get; set; }

    /// <summary>What was changed, e.g. the address or domain.</summary>
    public required string Target { get; set; }

    /// <summary>Non-secret details; never a password or key.</summary>
    public string? Details { get; set; }
}
