// RFC 6376 section 3.6.1: the DKIM key record, a tag=value list (3.2) whose p= tag holds the
// base64 public key (empty: revoked); whitespace inside the value is folding and not part of it.
namespace Appliance.MailAuth.Dkim;

/// <summary>Reads what callers outside signing and verification need from a published key record.</summary>
public static class DkimKeyRecord
{
    /// <summary>The p= value without whitespace, or false when the text is not a valid tag list or has no p= tag.</summary>
    public static bool TryGetPublicKey(string record, out string publicKey)
    {
        publicKey = "";
        if (!DkimTagList.TryParse(record, out var tags, out _) || tags["p"] is not { } p)
            return false;
        publicKey = string.Concat(p.Where(c => !char.IsWhiteSpace(c)));
        return true;
    }
}
