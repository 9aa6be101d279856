using Appliance.Dns;
using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Spf;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Smtp;

/// <summary>
/// Everything an SMTP session needs, shared by all sessions of the process: options, account
/// lookups, mail authentication, delivery, queue and log.
/// </summary>
internal sealed class SmtpEngine(
    ApplianceOptions options,
    RecipientResolver recipients,
    PasswordAuthenticator authenticator,
    IDnsResolver dns,
    ILocalDelivery localDelivery,
    IOutboundQueue queue,
    IOutboundSigner signer,
    IDeliveryLog log,
    Appliance.Storage.Mail.MessageStore store,
    Appliance.MailAuth.Srs.SrsRewriter srs,
    TimeProvider time,
    ILogger<SmtpSession> logger)
{
    private readonly SpfEvaluator _spf = new(dns);
    private readonly DkimVerifier _dkim = new(dns);
    private readonly Lazy<DmarcEvaluator> _dmarc = new(() => new DmarcEvaluator(dns));

    public SmtpServerOptions Options { get; } = options.Smtp;

    public ApplianceOptions Appliance { get; } = options;

    public RecipientResolver Recipients { get; } = recipients;

    public PasswordAuthenticator Authenticator { get; } = authenticator;

    public ILocalDelivery LocalDelivery { get; } = localDelivery;

    public IOutboundQueue Queue { get; } = queue;

    public IOutboundSigner Signer { get; } = signer;

    public IDeliveryLog Log { get; } = log;

    public Appliance.Storage.Mail.MessageStore Store { get; } = store;

    public TimeProvider Time { get; } = time;

    /// <summary>Reverses SRS addresses of bounces to mail we forwarded.</summary>
    public Appliance.MailAuth.Srs.SrsRewriter Srs { get; } = srs;

    public ILogger<SmtpSession> Logger { get; } = logger;

    public SpfEvaluator Spf => _spf;

    public DkimVerifier Dkim => _dkim;

    public DmarcEvaluator Dmarc => _dmarc.Value;

    /// <summary>Where messages too large for memory wait while they arrive.</summary>
    public string SpillDirectory => Path.Combine(Appliance.DataPath, "spool", "incoming");
}
