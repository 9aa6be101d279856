using Appliance.Server.Tests.Imap.Session;
using Appliance.Server.Tests.Listeners;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>Octets and reads the line-based ImapTestClient does not offer.</summary>
internal static class ImapWriteClient
{
    public static Task SendAsync(this ImapTestClient client, string text) => client.Raw.SendAsync(text);

    public static Task SendBytesAsync(this ImapTestClient client, ReadOnlyMemory<byte> octets) =>
        client.Raw.Stream.WriteAsync(octets).AsTask().WaitAsync(TestMailServer.Guard);

    /// <summary>Every line up to and including the one starting with "tag ".</summary>
    public static async Task<List<string>> ReadUntilTaggedAsync(this ImapTestClient client, string tag)
    {
        var lines = new List<string>();
        while (await client.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                break;
        }
        return lines;
    }

    /// <summary>Selects a mailbox, checking only that it succeeded.</summary>
    public static async Task SelectAsync(this ImapTestClient client, string mailbox = "INBOX", string verb = "SELECT")
    {
        var lines = await client.CommandAsync("sel", $"{verb} {mailbox}");
        Assert.StartsWith("sel OK ", lines[^1]);
    }
}
