using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Dkim;

/// <summary>
/// At start-up, gives every domain that has no live DKIM key one (domains added before keys were
/// generated on add). Runs after the database is migrated (ApplianceHost initializes first).
/// A failure is logged, not fatal: the server still receives mail; that domain's mail goes out unsigned.
/// </summary>
internal sealed class DkimKeyBackfill(DkimKeyService keys, ILogger<DkimKeyBackfill>? logger = null) : IHostedService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public const string Actor = "system:dkim";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<string> domains = await keys.EnsureKeysAsync(Actor, cancellationToken).ConfigureAwait(false);
            if (domains.Count > 0)
            {
                DkimLog.KeysBackfilled(_logger, domains.Count);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            DkimLog.BackfillFailed(_logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
