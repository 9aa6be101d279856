using Appliance.Storage.Entities;

namespace Appliance.Server.Accounts;

/// <summary>A hosted domain as the CLI and UI show it.</summary>
/// <param name="Name">Lower-case A-label.</param>
/// <param name="DisplayName">U-label.</param>
/// <param name="CatchAll">Destinations of the "@domain" alias; empty when there is none.</param>
public sealed record DomainInfo(string Name, string DisplayName, bool Enabled, int MailboxCount, int AliasCount, IReadOnlyList<string> CatchAll);

public sealed record MailboxInfo(
    string Address,
    string DisplayAddress,
    string DisplayName,
    MailboxRole Role,
    long QuotaBytes,
    bool Enabled,
    IReadOnlyList<string> AdministeredDomains,
    Guid StoreId);

public sealed record AliasInfo(string Source, string DisplaySource, IReadOnlyList<string> Destinations, bool Enabled);

/// <summary>What to create. Only Address and Password are required.</summary>
public sealed record NewMailbox(string Address, string Password)
{
    public string DisplayName { get; init; } = "";
    public MailboxRole Role { get; init; } = MailboxRole.User;
    public long QuotaBytes { get; init; }
    public IReadOnlyList<string> AdministeredDomains { get; init; } = [];
}

/// <summary>Changes to a mailbox; null leaves a value as it is.</summary>
public sealed record MailboxUpdate
{
    public string? DisplayName { get; init; }
    public MailboxRole? Role { get; init; }
    public long? QuotaBytes { get; init; }
    public bool? Enabled { get; init; }
    public IReadOnlyList<string>? AdministeredDomains { get; init; }
}

/// <summary>The account behind a successful sign-in.</summary>
public sealed record AuthenticatedUser(int MailboxId, string Address, MailboxRole Role, Guid StoreId, IReadOnlyList<string> AdministeredDomains)
{
    /// <summary>See <see cref="Accounts.SessionStamp"/>: web sessions end when it changes.</summary>
    public string SessionStamp { get; init; } = "";

    /// <summary>Whether two-factor sign-in is on (part of the session stamp, so a session's claim of it stays true).</summary>
    public bool TwoFactorEnabled { get; init; }
}
