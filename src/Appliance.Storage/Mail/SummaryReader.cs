using Appliance.Mime;

namespace Appliance.Storage.Mail;

/// <summary>Reads the cached listing fields without ever failing an append.</summary>
internal static class SummaryReader
{
    public static MessageSummary Read(Stream message)
    {
        try
        {
            return MessageSummary.Read(message);
        }
        catch (Exception)
        {
            // A message is worth more than its summary: a parser bug or an odd message must not
            // lose mail. The listing shows empty fields and a reindex can fill them later.
            return MessageSummary.Empty;
        }
    }

    public static MessageSummary ReadFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Read(stream);
        }
        catch (IOException)
        {
            return MessageSummary.Empty;
        }
    }
}
