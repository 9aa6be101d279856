// RFC 9051 (IMAP4rev2) and RFC 3501 (IMAP4rev1): the connection handler of ports 143 and 993.
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Server.Imap;

/// <summary>The Kestrel connection handler of ports 143 and 993: one <see cref="ImapSession"/> per connection.</summary>
internal sealed class ImapHandler(ImapEngine engine) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext context) =>
        new ImapSession(MailConnection.From(context), engine).RunAsync();
}

/// <summary>What every IMAP session shares.</summary>
internal sealed class ImapEngine(
    Configuration.ApplianceOptions options,
    Accounts.PasswordAuthenticator authenticator,
    MessageStore store,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<ImapSession> logger)
{
    public ImapServerOptions Options { get; } = options.Imap;
    public Accounts.PasswordAuthenticator Authenticator { get; } = authenticator;
    public MessageStore Store { get; } = store;
    public TimeProvider Time { get; } = time;
    public Microsoft.Extensions.Logging.ILogger<ImapSession> Logger { get; } = logger;
}
