using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Delivery;
using Appliance.Server.Tests.Smtp;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Vacation;

/// <summary>The vacation reply over the real SMTP handler on a real socket, through local delivery to the queue.</summary>
public sealed class VacationEndToEndTests
{
    [Fact]
    public async Task A_message_to_a_mailbox_on_vacation_queues_one_reply_and_a_second_message_none()
    {
        await using var server = await SmtpTestServer.StartAsync();
        var settings = server.Services.GetRequiredService<UserSettingsService>();
        var saved = await settings.UpdateAsync("alice@example.org", new UserSettingsUpdate("Alice", "",
            new VacationSettings(true, null, null, null, "Away this week.")));
        Assert.True(saved.Succeeded);
        var responder = server.Services.GetRequiredService<VacationResponder>();

        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        for (int i = 1; i <= 2; i++)
        {
            await client.ExpectCodeAsync("MAIL FROM:<friend@elsewhere.example>", "250");
            await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
            await client.ExpectCodeAsync("DATA", "354");
            await client.SendAsync($"From: <friend@elsewhere.example>\r\nTo: <alice@example.org>\r\nSubject: Note {i}\r\nMessage-ID: <note-{i}@elsewhere.example>\r\n\r\nhello\r\n.\r\n");
            Assert.StartsWith("250 ", await client.ReadReplyAsync());
            await responder.WhenIdleAsync();
        }

        Assert.Equal(2, (await server.MessagesAsync("alice@example.org")).Count);
        var (_, envelope, message) = Assert.Single(server.Queue.Entries);
        Assert.Equal("", envelope.ReversePath);
        Assert.Equal("friend@elsewhere.example", Assert.Single(envelope.Recipients).Address);
        Assert.StartsWith("DKIM-Signature: v=1; test=fake\r\n", message);
        var header = HeaderBlock.Parse(System.Text.Encoding.UTF8.GetBytes(message));
        Assert.Equal("Auto: Note 1", header.Get("Subject")!.Value);
        Assert.Equal("<note-1@elsewhere.example>", header.Get("In-Reply-To")!.Value);
        Assert.Equal("auto-replied", header.Get("Auto-Submitted")!.Value);
    }
}
