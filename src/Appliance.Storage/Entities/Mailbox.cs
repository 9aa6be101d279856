namespace Appliance.Storage.Entities;

public enum MailboxRole
{
    User = 0,
    /// <summary>Administers the domains listed in <see cref="Mailbox.AdministeredDomains"/>.</summary>
    DomainAdmin = 1,
    Admin = 2,
}

/// <summary>A user's account: an address that receives mail into its own message store.</summary>
public sealed class Mailbox
{
    public int Id { get; set; }

    /// <summary>Normalized address (lower-case local part, A-label domain); unique.</summary>
    public required string Address { get; set; }

    public required string LocalPart { get; set; }

    public int DomainId { get; set; }
    public Domain? Domain { get; set; }

    public string DisplayName { get; set; } = "";

    /// <summary>ASP.NET Core Identity PasswordHasher v3 format (PBKDF2-HMAC-SHA512).</summary>
    public required string PasswordHash { get; set; }

    /// <summary>Quota in bytes; 0 means unlimited.</summary>
    public long QuotaBytes { get; set; }

    public bool Enabled { get; set; } = true;

    public MailboxRole Role { get; set; }

    /// <summary>
    /// Names the account's directory in the message store. Never derived from the address, so no
    /// path is built from user text, and never reused, so a re-created address starts empty.
    /// </summary>
    public Guid StoreId { get; set; }

    public DateTime CreatedUtc { get; set; }

    public List<Domain> AdministeredDomains { get; set; } = [];

    /// <summary>The TOTP secret (RFC 6238) protected with Data Protection, or null when two-factor sign-in is off.</summary>
    public string? TotpSecret { get; set; }

    /// <summary>The last TOTP time step accepted: a code is good once (RFC 6238 5.2).</summary>
    public long TotpLastStep { get; set; }

    /// <summary>SHA-256 hashes (hex, comma-separated) of the unused recovery codes.</summary>
    public string? RecoveryCodeHashes { get; set; }
}
