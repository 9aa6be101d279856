namespace Appliance.Server.Accounts;

/// <summary>Why an account operation was refused. Each maps to one clear message for CLI, UI and API.</summary>
public enum AccountError
{
    InvalidDomain,
    InvalidAddress,
    DomainExists,
    DomainNotFound,
    DomainHasMailboxes,
    MailboxExists,
    MailboxNotFound,
    AliasExists,
    AliasNotFound,
    AddressIsMailbox,
    AddressIsAlias,
    InvalidAliasDestination,
    WeakPassword,
    InvalidQuota,
    InvalidDisplayName,
    InvalidRole,
    /// <summary>Another change took the same name at the same moment.</summary>
    Conflict,
    /// <summary>An API token's name is empty, too long or has control characters.</summary>
    InvalidTokenName,
    /// <summary>The account may not have (more) API tokens.</summary>
    TokenRefused,
}

/// <summary>
/// A refused account operation: the caller's input is at fault, nothing was saved, and
/// <see cref="Exception.Message"/> says what to change.
/// </summary>
public sealed class AccountException(AccountError error, string message) : Exception(message)
{
    public AccountError Error { get; } = error;
}
