using Microsoft.AspNetCore.Connections;
using Appliance.Server.Listeners;

namespace Appliance.Server.Smtp;

/// <summary>The Kestrel connection handler of ports 25, 587 and 465: one <see cref="SmtpSession"/> per connection.</summary>
internal sealed class SmtpHandler(SmtpEngine engine) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext context) =>
        new SmtpSession(MailConnection.From(context), engine).RunAsync();
}
