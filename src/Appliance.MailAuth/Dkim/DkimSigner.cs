// RFC 6376 (DKIM Signatures) sections 3.5 (the DKIM-Signature field), 3.7 (hashes), 5 (signer
// actions); RFC 8301 (rsa-sha256 only, key sizes); RFC 8463 (ed25519-sha256).
using System.Globalization;
using System.Text;
using Appliance.Mime;

namespace Appliance.MailAuth.Dkim;

/// <summary>Signs messages for one domain and selector with one key.</summary>
public sealed class DkimSigner
{
    /// <summary>Line width of the folded field: RFC 5322 2.1.1 "SHOULD be no more than 78 characters".</summary>
    public const int LineWidth = 78;

    private readonly DkimSigningKey key;
    private readonly string domain;
    private readonly string selector;
    private readonly DkimSignerOptions options;

    public DkimSigner(DkimSigningKey key, string domain, string selector, DkimSignerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        ArgumentException.ThrowIfNullOrWhiteSpace(selector);
        options ??= new DkimSignerOptions();
        if (!options.SignedHeaders.Contains("From", StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException("The signed header list must include From (RFC 6376 5.4).", nameof(options));
        }
        foreach (string name in options.SignedHeaders)
        {
            if (name.Length == 0 || name.Any(c => c <= ' ' || c > '~' || c == ':'))
            {
                throw new ArgumentException($"Invalid header field name in SignedHeaders: '{name}'.", nameof(options));
            }
        }
        string normalized = domain.Trim().TrimEnd('.').ToLowerInvariant();
        if (options.Identity is { } identity)
        {
            // RFC 6376 3.5 i=: the domain part must be d= or a subdomain of it.
            int at = identity.LastIndexOf('@');
            string identityDomain = at < 0 ? "" : identity[(at + 1)..].TrimEnd('.').ToLowerInvariant();
            if (identityDomain != normalized && !identityDomain.EndsWith("." + normalized, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Identity '{identity}' is not within d={normalized} (RFC 6376 3.5).", nameof(options));
            }
        }
        this.key = key;
        this.domain = normalized;
        this.selector = selector.Trim();
        this.options = options;
    }

    /// <summary>
    /// Signs the message (header and body, CRLF line ends as sent) and returns the DKIM-Signature header
    /// field to prepend, folded, ending in CRLF.
    /// </summary>
    public string Sign(ReadOnlySpan<byte> message)
    {
        HeaderBlock headers = HeaderBlock.Parse(message);
        if ((headers.Problems & (HeaderProblems.TooLarge | HeaderProblems.TooManyFields)) != 0)
        {
            throw new ArgumentException("The message header exceeds HeaderLimits.Default; it cannot be signed.", nameof(message));
        }
        ReadOnlySpan<byte> body = message[Math.Min(headers.Length, message.Length)..];

        // 3.7: the body hash, over the whole canonicalized body (no l=).
        byte[] bodyHash = DkimHashing.BodyHash(DkimCanonicalizer.Body(options.BodyCanonicalization, body));

        // 5.4 / 5.4.2: each present field once per instance; oversigned fields once more.
        List<string> signed = [];
        foreach (string name in options.SignedHeaders)
        {
            int count = headers.GetAll(name).Count();
            if (options.OversignedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                count++;
            }
            for (int i = 0; i < count; i++)
            {
                signed.Add(name);
            }
        }

        long now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        FieldWriter writer = new(DkimHashing.FieldName.Length + 1);
        writer.Tag("v=1;");
        writer.Tag($"a={DkimAlgorithmNames.Name(key.Algorithm)};");
        writer.Tag($"c={Name(options.HeaderCanonicalization)}/{Name(options.BodyCanonicalization)};");
        writer.Tag($"d={domain};");
        if (options.Identity is not null)
        {
            writer.Tag($"i={options.Identity};");
        }
        writer.Tag($"s={selector};");
        writer.Tag(string.Create(CultureInfo.InvariantCulture, $"t={now};"));
        if (options.SignatureLifetime is { } lifetime)
        {
            writer.Tag(string.Create(CultureInfo.InvariantCulture, $"x={now + (long)lifetime.TotalSeconds};"));
        }
        // h=: FWS is allowed around the colons (3.5 sig-h-tag), so fold there.
        for (int i = 0; i < signed.Count; i++)
        {
            string atom = (i == 0 ? "h=" : "") + signed[i] + (i == signed.Count - 1 ? ";" : ":");
            if (i == 0)
            {
                writer.Tag(atom);
            }
            else
            {
                writer.Continue(atom);
            }
        }
        writer.Base64Tag("bh=", Convert.ToBase64String(bodyHash), ";");
        writer.Tag("b=");

        // 3.7: the signature covers the signed fields and this field with an empty b=.
        string unsignedValue = writer.ToString();
        byte[] headerData = DkimHashing.HeaderData(headers, signed, options.HeaderCanonicalization,
            DkimHashing.FieldName, Encoding.ASCII.GetBytes(unsignedValue));
        writer.Base64Continue(Convert.ToBase64String(key.SignHash(headerData)));
        return DkimHashing.FieldName + ":" + writer + "\r\n";
    }

    private static string Name(DkimCanonicalization c) => c == DkimCanonicalization.Simple ? "simple" : "relaxed";

    /// <summary>Builds the field value, folding with CRLF TAB before a piece that would pass <see cref="LineWidth"/>.</summary>
    private sealed class FieldWriter(int column)
    {
        private const int TabWidth = 8;
        private readonly StringBuilder text = new();
        private int column = column;

        /// <summary>A new tag, separated by a space (or a fold).</summary>
        public void Tag(string atom) => Append(atom, separator: true);

        /// <summary>More of the current value where FWS is allowed: no space, but may fold.</summary>
        public void Continue(string atom) => Append(atom, separator: false);

        /// <summary>A base64 value: 3.5 allows FWS anywhere inside it, so it fills each line.</summary>
        public void Base64Tag(string name, string value, string end)
        {
            Tag(name);
            Base64Continue(value, end.Length);
            text.Append(end);
            column += end.Length;
        }

        /// <param name="reserve">Characters that must still fit on the last line after the value.</param>
        public void Base64Continue(string value, int reserve = 0)
        {
            int at = 0;
            while (at < value.Length)
            {
                int room = LineWidth - column;
                int remaining = value.Length - at;
                int take = Math.Min(room, remaining);
                if (take == remaining && remaining + reserve > room)
                {
                    take = Math.Min(remaining - 1, room - reserve);
                }
                if (take <= 0)
                {
                    Fold();
                    continue;
                }
                text.Append(value, at, take);
                column += take;
                at += take;
            }
        }

        private void Append(string atom, bool separator)
        {
            int width = atom.Length + (separator ? 1 : 0);
            if (column + width > LineWidth)
            {
                Fold();
            }
            else if (separator)
            {
                text.Append(' ');
                column++;
            }
            text.Append(atom);
            column += atom.Length;
        }

        private void Fold()
        {
            text.Append("\r\n\t");
            column = TabWidth;
        }

        public override string ToString() => text.ToString();
    }
}
