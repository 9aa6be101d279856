// RFC 6376 3.7 (computing the message hashes) and 5.4.2 (signatures involving multiple instances of a
// field). Shared by DkimSigner and DkimVerifier so that both hash exactly the same bytes.
using System.Security.Cryptography;
using Appliance.Mime;

namespace Appliance.MailAuth.Dkim;

internal static class DkimHashing
{
    public const string FieldName = "DKIM-Signature";

    /// <summary>RFC 6376 3.7: the body hash over the canonicalized body (we never use l=).</summary>
    public static byte[] BodyHash(byte[] canonicalBody) => SHA256.HashData(canonicalBody);

    /// <summary>
    /// RFC 6376 3.7: the data the signature covers: each field named in h=, canonicalized with its CRLF,
    /// then the DKIM-Signature field itself with an empty b= value and no trailing CRLF.
    /// </summary>
    public static byte[] HeaderData(HeaderBlock headers, IReadOnlyList<string> signedNames, DkimCanonicalization canonicalization,
        string signatureFieldName, ReadOnlySpan<byte> signatureRawValueWithoutB)
    {
        using MemoryStream data = new();
        Dictionary<string, int> used = new(StringComparer.OrdinalIgnoreCase);
        foreach (string name in signedNames)
        {
            // 5.4.2: each further occurrence of a name in h= takes the next instance of that field,
            // counting from the bottom of the header; names with no instance left contribute nothing.
            used.TryGetValue(name, out int skip);
            used[name] = skip + 1;
            HeaderField? field = null;
            for (int i = headers.Count - 1; i >= 0; i--)
            {
                if (string.Equals(headers[i].Name, name, StringComparison.OrdinalIgnoreCase) && skip-- == 0)
                {
                    field = headers[i];
                    break;
                }
            }
            if (field is not null)
            {
                DkimCanonicalizer.Header(canonicalization, NameAsWritten(field), field.RawValue.Span, data);
            }
        }
        DkimCanonicalizer.Header(canonicalization, signatureFieldName, signatureRawValueWithoutB, data, appendCrlf: false);
        return data.ToArray();
    }

    /// <summary>
    /// The field name as sent, with any whitespace before the colon (RFC 5322 4.5.8 obs-optional),
    /// which simple canonicalization (3.4.1) keeps; field names are printable ASCII (RFC 5322 2.2).
    /// </summary>
    public static string NameAsWritten(HeaderField field) => System.Text.Encoding.Latin1.GetString(field.RawName.Span);

    /// <summary>
    /// RFC 6376 3.5 (b=) and 3.7: the raw DKIM-Signature value with the b= tag's value, including all
    /// surrounding whitespace, deleted; everything else byte for byte.
    /// </summary>
    public static byte[] WithoutSignatureValue(ReadOnlySpan<byte> rawValue)
    {
        using MemoryStream output = new(rawValue.Length);
        while (true)
        {
            int semicolon = rawValue.IndexOf((byte)';');
            ReadOnlySpan<byte> spec = semicolon < 0 ? rawValue : rawValue[..semicolon];
            int equals = spec.IndexOf((byte)'=');
            if (equals >= 0 && spec[..equals].Trim(" \t\r\n"u8).SequenceEqual("b"u8))
            {
                output.Write(spec[..(equals + 1)]);
            }
            else
            {
                output.Write(spec);
            }
            if (semicolon < 0)
            {
                break;
            }
            output.WriteByte((byte)';');
            rawValue = rawValue[(semicolon + 1)..];
        }
        return output.ToArray();
    }
}
