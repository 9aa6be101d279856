namespace Appliance.Storage.Entities;

/// <summary>
/// A token an administrator made for scripts using the REST API. Only a hash of its secret is
/// kept: the token itself is shown once, when it is made.
/// </summary>
public sealed class ApiToken
{
    public int Id { get; set; }

    /// <summary>The administrator the token acts as; it can do what that account can, no more.</summary>
    public int MailboxId { get; set; }
    public Mailbox? Mailbox { get; set; }

    /// <summary>What the admin called it ("backup script").</summary>
    public required string Name { get; set; }

    /// <summary>SHA-256 of the secret part (256 random bits: a fast hash is enough, nothing to brute-force).</summary>
    public required byte[] SecretHash { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime? LastUsedUtc { get; set; }
}
