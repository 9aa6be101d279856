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
    Accounts.AccountService accounts,
    MessageStore store,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<ImapSession> logger)
{
    public ImapServerOptions Options { get; } = options.Imap;
    public Accounts.PasswordAuthenticator Authenticator { get; } = authenticator;
    public MessageStore Store { get; } = store;

    /// <summary>The users' settings read while a session runs (the quota of QUOTA, APPEND and COPY, RFC 9208).</summary>
    public Accounts.AccountService Accounts { get; } = accounts;

    /// <summary>Logged-in sessions per user, for <see cref="ImapServerOptions.MaxConnectionsPerUser"/>.</summary>
    public ImapUserConnections UserConnections { get; } = new();
    public TimeProvider Time { get; } = time;
    public Microsoft.Extensions.Logging.ILogger<ImapSession> Logger { get; } = logger;
}
