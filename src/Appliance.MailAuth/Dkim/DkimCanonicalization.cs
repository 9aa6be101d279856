// RFC 6376 (DKIM Signatures) section 3.4: canonicalization algorithms.
namespace Appliance.MailAuth.Dkim;

/// <summary>The canonicalization algorithms of RFC 6376 3.4 (c= tag), for header or body.</summary>
public enum DkimCanonicalization
{
    /// <summary>RFC 6376 3.4.1 (header) and 3.4.3 (body): almost no change tolerated.</summary>
    Simple,
    /// <summary>RFC 6376 3.4.2 (header) and 3.4.4 (body): tolerates whitespace changes and refolding.</summary>
    Relaxed,
}

/// <summary>The one canonicalization code, used by both the signer and the verifier.</summary>
internal static class DkimCanonicalizer
{
    private static bool IsWsp(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>
    /// One header field, canonicalized, including its CRLF (RFC 6376 3.7 appends it to every signed field;
    /// the caller leaves it off the DKIM-Signature field itself). <paramref name="rawValue"/> is
    /// everything after the colon, folds included.
    /// </summary>
    public static void Header(DkimCanonicalization algorithm, string name, ReadOnlySpan<byte> rawValue, Stream output, bool appendCrlf = true)
    {
        if (algorithm == DkimCanonicalization.Simple)
        {
            // 3.4.1: the field exactly as it is, name, colon and value.
            WriteAscii(output, name);
            output.WriteByte((byte)':');
            output.Write(rawValue);
        }
        else
        {
            // 3.4.2: lower-case name, no whitespace around the colon, unfold, runs of WSP to one SP,
            // no WSP at the end of the value.
            WriteAscii(output, name.Trim(' ', '\t').ToLowerInvariant());
            output.WriteByte((byte)':');
            bool pendingSpace = false, started = false;
            foreach (byte b in rawValue)
            {
                if (b is (byte)'\r' or (byte)'\n')
                {
                    continue; // unfolding: the CRLF of a fold goes, the WSP after it stays (and collapses)
                }
                if (IsWsp(b))
                {
                    pendingSpace = started;
                    continue;
                }
                if (pendingSpace)
                {
                    output.WriteByte((byte)' ');
                    pendingSpace = false;
                }
                output.WriteByte(b);
                started = true;
            }
        }
        if (appendCrlf)
        {
            output.WriteByte((byte)'\r');
            output.WriteByte((byte)'\n');
        }
    }

    /// <summary>The body canonicalized (RFC 6376 3.4.3 / 3.4.4). Lines end in CRLF; a bare LF also ends a line.</summary>
    public static byte[] Body(DkimCanonicalization algorithm, ReadOnlySpan<byte> body)
    {
        using MemoryStream output = new(body.Length + 2);
        int pendingEmptyLines = 0;
        while (!body.IsEmpty)
        {
            int newline = body.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? body : body[..newline];
            body = newline < 0 ? [] : body[(newline + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            if (algorithm == DkimCanonicalization.Relaxed)
            {
                // 3.4.4: drop WSP at line ends, reduce every WSP run inside a line to one SP.
                line = line.TrimEnd(" \t"u8);
            }
            if (line.IsEmpty)
            {
                // 3.4.3 / 3.4.4: empty lines at the end of the body are ignored, so hold them back
                // until a non-empty line shows they were not at the end.
                pendingEmptyLines++;
                continue;
            }
            for (; pendingEmptyLines > 0; pendingEmptyLines--)
            {
                output.Write("\r\n"u8);
            }
            if (algorithm == DkimCanonicalization.Relaxed)
            {
                bool inWsp = false;
                foreach (byte b in line)
                {
                    if (IsWsp(b))
                    {
                        inWsp = true;
                        continue;
                    }
                    if (inWsp)
                    {
                        output.WriteByte((byte)' ');
                        inWsp = false;
                    }
                    output.WriteByte(b);
                }
            }
            else
            {
                output.Write(line);
            }
            // 3.4.3 adds a missing final CRLF; 3.4.4 does too for a non-empty body.
            output.Write("\r\n"u8);
        }
        if (output.Length == 0 && algorithm == DkimCanonicalization.Simple)
        {
            // 3.4.3: an empty body is canonicalized as a single CRLF; 3.4.4 keeps it empty.
            output.Write("\r\n"u8);
        }
        return output.ToArray();
    }

    private static void WriteAscii(Stream output, string text)
    {
        foreach (char c in text)
        {
            output.WriteByte((byte)c);
        }
    }
}
