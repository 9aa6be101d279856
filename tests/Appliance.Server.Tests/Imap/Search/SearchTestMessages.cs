using System.Text;
using Appliance.Server.Tests.Imap.Selected;
using Appliance.Server.Tests.Imap.Session;
using Appliance.Storage.Mail;

namespace Appliance.Server.Tests.Imap.Search;

/// <summary>Builds messages with exactly the header fields a search, sort or thread test needs.</summary>
internal static class SearchTestMessages
{
    /// <summary>A message with the given header fields (name, value; null values are left out) and body, CRLF line ends.</summary>
    public static string Build(string body, params (string Name, string? Value)[] fields)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            if (value is not null)
                text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        return text.Append("\r\n").Append(body).Append("\r\n").ToString();
    }

    /// <summary>
    /// Appends a throw-away message first and expunges it, so that UIDs start at 2 and differ from
    /// sequence numbers: a test then shows which of the two a response carries.
    /// </summary>
    public static async Task OffsetUidsAsync(ImapStoreTestServer server, string mailbox = "INBOX")
    {
        await server.AppendAsync(Build("spacer", ("Subject", "spacer")), mailbox, MessageFlags.Deleted);
        server.AliceAccount.Expunge(mailbox);
    }

    /// <summary>Selects INBOX and checks only the completion.</summary>
    public static async Task SelectAsync(ImapTestClient client, string mailbox = "INBOX")
    {
        var lines = await client.CommandAsync("sel", "SELECT " + mailbox);
        Assert.StartsWith("sel OK [READ-WRITE]", lines[^1]);
    }

    public static DateTimeOffset Utc(int day, int hour = 12) => new(2026, 11, day, hour, 0, 0, TimeSpan.Zero);
}
