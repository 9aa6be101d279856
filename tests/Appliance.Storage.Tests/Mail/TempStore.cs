using System.Text;
using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

/// <summary>A message store in a fresh temp directory with one account; deletes everything on dispose.</summary>
internal sealed class TempStore : IDisposable
{
    public TempStore()
    {
        Root = Path.Combine(Path.GetTempPath(), "appliance-store-" + Guid.NewGuid().ToString("N"));
        Store = new MessageStore(Root);
        StoreId = Guid.NewGuid();
        Account = Store.CreateAccount(StoreId);
    }

    public string Root { get; }

    public Guid StoreId { get; }

    public MessageStore Store { get; private set; }

    public MailAccount Account { get; private set; }

    public string AccountDirectory => Path.Combine(Root, StoreId.ToString("N"));

    /// <summary>Drops the in-process registry and opens the account again, as a new process would.</summary>
    public MailAccount Reopen()
    {
        Store.Dispose();
        Store = new MessageStore(Root);
        Account = Store.OpenAccount(StoreId);
        return Account;
    }

    public async Task<uint> AppendAsync(string mailbox, string text, MessageFlags flags = MessageFlags.None, IEnumerable<string>? keywords = null, DateTimeOffset? date = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var result = await Account.AppendAsync(mailbox, stream, flags, keywords, date);
        return result.Uid;
    }

    public byte[] Read(string mailbox, uint uid)
    {
        using var stream = Account.OpenMessage(mailbox, uid);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public string ReadText(string mailbox, uint uid) => Encoding.UTF8.GetString(Read(mailbox, uid));

    public string Folder(string mailbox) => Path.Combine(AccountDirectory, "f" + Account.GetMailbox(mailbox).Id);

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public static string Message(string subject, string body = "body") =>
        $"From: a@b.c\r\nTo: d@e.f\r\nSubject: {subject}\r\n\r\n{body}\r\n";
}
