using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Storage.Mail;

/// <summary>
/// The per-mailbox file "folder.json": everything a reindex needs that is not in the message
/// file names. UidReserved and ModSeqReserved are high-water marks written ahead of use (in
/// blocks, so not on every append): after a lost index UIDNEXT and HIGHESTMODSEQ restart above
/// them, because RFC 9051 section 2.3.1.1 forbids reusing a UID under the same UIDVALIDITY and
/// RFC 7162 section 3.1 forbids HIGHESTMODSEQ going backwards.
/// </summary>
internal sealed record FolderMetadata(
    string Name,
    uint UidValidity,
    SpecialUse SpecialUse,
    bool Subscribed,
    uint UidReserved,
    ulong ModSeqReserved)
{
    public const string FileName = "folder.json";

    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static FolderMetadata? TryRead(string folderDirectory)
    {
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(folderDirectory, FileName));
            var metadata = JsonSerializer.Deserialize<FolderMetadata>(bytes, s_options);
            return metadata is { Name: not null, UidValidity: > 0 } ? metadata : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the file atomically and durably: temp file, fsync, rename, fsync directory.</summary>
    public void Write(string folderDirectory)
    {
        var temp = Path.Combine(folderDirectory, FileName + ".tmp");
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, this, s_options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(folderDirectory, FileName), overwrite: true);
        DirectorySync.Fsync(folderDirectory);
    }
}
