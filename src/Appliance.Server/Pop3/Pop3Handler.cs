using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Server.Pop3;

/// <summary>The Kestrel connection handler of ports 110 and 995: one <see cref="Pop3Session"/> per connection.</summary>
internal sealed class Pop3Handler(Pop3Engine engine) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext context) =>
        new Pop3Session(MailConnection.From(context), engine).RunAsync();
}

/// <summary>What every POP3 session shares.</summary>
internal sealed class Pop3Engine(
    Configuration.ApplianceOptions options,
    Accounts.PasswordAuthenticator authenticator,
    MessageStore store,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<Pop3Session> logger)
{
    public Pop3ServerOptions Options { get; } = options.Pop3;
    public Accounts.PasswordAuthenticator Authenticator { get; } = authenticator;
    public MessageStore Store { get; } = store;
    public TimeProvider Time { get; } = time;
    public Microsoft.Extensions.Logging.ILogger<Pop3Session> Logger { get; } = logger;
}
