// RFC 6376 5.4 (determining the header fields to sign), 5.4.1 (recommended fields), 3.5 (t=, x=).
namespace Appliance.MailAuth.Dkim;

public sealed class DkimSignerOptions
{
    /// <summary>
    /// RFC 6376 5.4.1's recommended fields plus Message-ID and the MIME fields, after OpenDKIM's
    /// "should sign" list. Only fields present are listed in h=, except oversigned ones.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultSignedHeaders =
    [
        "From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description",
        "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
        "In-Reply-To", "References", "List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
        "List-Post", "List-Owner", "List-Archive",
    ];

    /// <summary>Fields to sign; must include From (RFC 6376 5.4: "The From header field MUST be signed").</summary>
    public IReadOnlyList<string> SignedHeaders { get; init; } = DefaultSignedHeaders;

    /// <summary>
    /// Fields listed in h= once more than they occur, so that another instance cannot be added without
    /// breaking the signature (RFC 6376 5.4.2 and 8.15). From by default: a second From would make the
    /// author ambiguous to readers and DMARC.
    /// </summary>
    public IReadOnlyList<string> OversignedHeaders { get; init; } = ["From"];

    /// <summary>Header canonicalization (c=). Relaxed survives refolding by relays (RFC 6376 3.4.2).</summary>
    public DkimCanonicalization HeaderCanonicalization { get; init; } = DkimCanonicalization.Relaxed;

    /// <summary>Body canonicalization (c=). Relaxed survives trailing-whitespace changes (RFC 6376 3.4.4).</summary>
    public DkimCanonicalization BodyCanonicalization { get; init; } = DkimCanonicalization.Relaxed;

    /// <summary>When set, x= is t= plus this (RFC 6376 3.5). Null: no expiry, as OpenDKIM by default.</summary>
    public TimeSpan? SignatureLifetime { get; init; }

    /// <summary>The agent or user identifier (i=); null leaves it out (then it is "@" + d=, RFC 6376 3.5).</summary>
    public string? Identity { get; init; }

    /// <summary>The clock of t=.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
