namespace Appliance.Server.Accounts;

/// <summary>
/// The part of the message store the account service drives: an account's mail store is created
/// with its mailbox and removed with it.
/// </summary>
public interface IAccountMailStore
{
    Task CreateAccountAsync(Guid storeId, CancellationToken cancellationToken);
    Task DeleteAccountAsync(Guid storeId, CancellationToken cancellationToken);
    Task<long> GetUsageBytesAsync(Guid storeId, CancellationToken cancellationToken);
}
