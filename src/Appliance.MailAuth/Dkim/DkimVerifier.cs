// RFC 6376 (DKIM Signatures) section 6 (verifier actions), 3.5 (DKIM-Signature tags), 3.6 (key
// records and their lookup); RFC 8301 (rsa-sha1 and small RSA keys are not valid); RFC 8463
// (ed25519-sha256).
using System.Globalization;
using System.Security.Cryptography;
using Appliance.Dns;
using Appliance.Mime;

namespace Appliance.MailAuth.Dkim;

/// <summary>Verifies every DKIM-Signature of a message, up to <see cref="DkimVerifierOptions.MaxSignatures"/>.</summary>
public sealed class DkimVerifier
{
    private readonly IDnsResolver resolver;
    private readonly DkimVerifierOptions options;

    public DkimVerifier(IDnsResolver resolver, DkimVerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        this.resolver = resolver;
        this.options = options ?? new DkimVerifierOptions();
    }

    /// <summary>One result per DKIM-Signature field, top to bottom; empty when the message has none.</summary>
    public async Task<IReadOnlyList<DkimResult>> VerifyAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        HeaderBlock headers = HeaderBlock.Parse(message.Span, options.HeaderLimits);
        ReadOnlyMemory<byte> body = message[Math.Min(headers.Length, message.Length)..];
        // A header cut short by the limits hides fields and the body's start: nothing can be verified.
        bool truncated = (headers.Problems & (HeaderProblems.TooLarge | HeaderProblems.TooManyFields)) != 0;
        Dictionary<DkimCanonicalization, byte[]> canonicalBodies = [];
        List<DkimResult> results = [];
        foreach (HeaderField field in headers.GetAll(DkimHashing.FieldName))
        {
            if (truncated)
            {
                results.Add(Unevaluated(field, DkimVerdict.PermError, "header exceeds HeaderLimits; not verified"));
                continue;
            }
            if (results.Count >= options.MaxSignatures)
            {
                results.Add(Unevaluated(field, DkimVerdict.Neutral, $"not verified: more than {options.MaxSignatures} signatures"));
                continue;
            }
            results.Add(await VerifyOneAsync(headers, field, body, canonicalBodies, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    // A signature we do not evaluate still names its d=, s= and a= when its tag list parses.
    private static DkimResult Unevaluated(HeaderField field, DkimVerdict verdict, string reason) =>
        DkimTagList.TryParse(field.Value, out DkimTagList? tags, out _)
            ? new DkimResult(verdict, tags["d"]?.ToLowerInvariant().TrimEnd('.'), tags["s"], tags["a"], reason) { Identity = tags["i"] }
            : new DkimResult(verdict, null, null, null, reason);

    private async Task<DkimResult> VerifyOneAsync(HeaderBlock headers, HeaderField field, ReadOnlyMemory<byte> body,
        Dictionary<DkimCanonicalization, byte[]> canonicalBodies, CancellationToken cancellationToken)
    {
        // 6.1.1: validate the signature field.
        if (!DkimTagList.TryParse(field.Value, out DkimTagList? tags, out string? syntaxError))
        {
            return new DkimResult(DkimVerdict.PermError, null, null, null, "signature syntax: " + syntaxError);
        }
        string? domain = tags["d"]?.ToLowerInvariant().TrimEnd('.');
        string? selector = tags["s"];
        string? algorithm = tags["a"];
        DkimResult Result(DkimVerdict verdict, string reason) =>
            new(verdict, domain, selector, algorithm, reason) { Identity = tags["i"] };

        // 3.5: v=, a=, b=, bh=, d=, h=, s= are required; 6.1.1: a missing one is PERMFAIL.
        foreach (string required in (string[])["v", "a", "b", "bh", "d", "h", "s"])
        {
            if (!tags.Contains(required))
            {
                return Result(DkimVerdict.PermError, $"missing required tag {required}=");
            }
        }
        if (tags["v"] != "1")
        {
            return Result(DkimVerdict.PermError, "incompatible version v=" + tags["v"]); // 3.5 v=, 6.1.1
        }
        DkimAlgorithm parsedAlgorithm;
        switch (algorithm!.ToLowerInvariant())
        {
            case "rsa-sha256":
                parsedAlgorithm = DkimAlgorithm.RsaSha256;
                break;
            case "ed25519-sha256":
                parsedAlgorithm = DkimAlgorithm.Ed25519Sha256;
                break;
            case "rsa-sha1":
                // RFC 8301 3.1: "Verifiers MUST NOT consider signatures using rsa-sha1 as valid signatures".
                return Result(DkimVerdict.Fail, "rsa-sha1 is not accepted (RFC 8301 3.1)");
            default:
                return Result(DkimVerdict.PermError, "unknown algorithm a=" + algorithm);
        }
        if (!TryParseCanonicalization(tags["c"], out DkimCanonicalization headerCanon, out DkimCanonicalization bodyCanon))
        {
            return Result(DkimVerdict.PermError, "unknown canonicalization c=" + tags["c"]);
        }
        if (domain!.Length == 0 || selector!.Length == 0 || !IsDomainName(domain) || !IsDomainName(selector))
        {
            return Result(DkimVerdict.PermError, "invalid d= or s=");
        }
        // 3.5 i=: "The domain part of the address MUST be the same as, or a subdomain of, the value of the d= tag."
        string identityDomain = domain;
        if (tags["i"] is { } identity)
        {
            int at = identity.LastIndexOf('@');
            identityDomain = at < 0 ? "" : identity[(at + 1)..].ToLowerInvariant().TrimEnd('.');
            if (identityDomain != domain && !identityDomain.EndsWith("." + domain, StringComparison.Ordinal))
            {
                return Result(DkimVerdict.PermError, "i= is not within d=");
            }
        }
        // 3.5 h=: colon-separated names; 6.1.1: if it does not include From, PERMFAIL.
        string[] signedNames = tags["h"]!.Split(':').Select(n => n.Trim(' ', '\t', '\r', '\n')).ToArray();
        if (signedNames.Any(n => n.Length == 0))
        {
            return Result(DkimVerdict.PermError, "empty name in h=");
        }
        if (!signedNames.Contains("From", StringComparer.OrdinalIgnoreCase))
        {
            return Result(DkimVerdict.PermError, "h= does not include From");
        }
        // 3.5 t= and x=: x= must be after t=; 6.1.1: past x=, the signature is not accepted.
        ulong? timestamp = null, expiry = null;
        if (tags["t"] is { } t)
        {
            if (!ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            {
                return Result(DkimVerdict.PermError, "invalid t=");
            }
            timestamp = value;
        }
        if (tags["x"] is { } x)
        {
            if (!ulong.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            {
                return Result(DkimVerdict.PermError, "invalid x=");
            }
            expiry = value;
            if (timestamp is not null && expiry < timestamp)
            {
                return Result(DkimVerdict.PermError, "x= is before t=");
            }
            if ((ulong)options.TimeProvider.GetUtcNow().ToUnixTimeSeconds() > expiry)
            {
                return Result(DkimVerdict.Fail, "signature expired");
            }
        }
        ulong? bodyLength = null;
        if (tags["l"] is { } l)
        {
            // 3.5 l=: up to 76 digits; a value too large for ulong can only exceed the body.
            if (l.Length == 0 || l.Length > 76 || !l.All(char.IsAsciiDigit))
            {
                return Result(DkimVerdict.PermError, "invalid l=");
            }
            bodyLength = ulong.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) ? value : ulong.MaxValue;
        }
        // 3.5 q=: dns/txt is the only method defined (and the default).
        if (tags["q"] is { } q && !q.Split(':').Any(m => m.Trim().Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
        {
            return Result(DkimVerdict.PermError, "no supported query method in q=");
        }
        byte[] signature, expectedBodyHash;
        try
        {
            signature = Convert.FromBase64String(DkimTagList.StripWhitespace(tags["b"]!));
            expectedBodyHash = Convert.FromBase64String(DkimTagList.StripWhitespace(tags["bh"]!));
        }
        catch (FormatException)
        {
            return Result(DkimVerdict.PermError, "invalid base64 in b= or bh=");
        }

        // 6.1.2 / 3.6.2.1: the key is the TXT record at selector._domainkey.domain.
        string keyName = selector + "._domainkey." + domain;
        DnsResponse response = await resolver.QueryAsync(keyName, DnsRecordType.TXT, cancellationToken).ConfigureAwait(false);
        if (response.Status.IsTemporaryFailure())
        {
            return Result(DkimVerdict.TempError, $"key lookup {keyName}: {response.Status}"); // 6.1.2 TEMPFAIL
        }
        string[] texts = response.Records<TxtRecord>().Select(r => r.Text).ToArray();
        if (texts.Length == 0)
        {
            return Result(DkimVerdict.PermError, $"no key at {keyName}"); // 6.1.2: "no key for signature"
        }
        // 3.6.2.2: the strings of one record are joined (TxtRecord.Text does); with several records we
        // use the first that parses.
        DkimTagList? key = null;
        string keyError = "";
        foreach (string text in texts)
        {
            if (DkimTagList.TryParse(text, out key, out string? error))
            {
                break;
            }
            keyError = error;
        }
        if (key is null)
        {
            return Result(DkimVerdict.PermError, "key record syntax: " + keyError);
        }
        // 3.6.1 v=: if present, must be DKIM1.
        if (key["v"] is { } keyVersion && keyVersion != "DKIM1")
        {
            return Result(DkimVerdict.PermError, "key record v= is not DKIM1");
        }
        // 3.6.1 h=: acceptable hash algorithms; 6.1.2: PERMFAIL when the signature's is not listed.
        if (key["h"] is { } hashes && !hashes.Split(':').Any(h => h.Trim().Equals("sha256", StringComparison.OrdinalIgnoreCase)))
        {
            return Result(DkimVerdict.PermError, "key record h= does not allow sha256");
        }
        // 3.6.1 k=: default rsa; must match the signature algorithm (6.1.2).
        string keyType = (key["k"] ?? "rsa").ToLowerInvariant();
        if (keyType != DkimAlgorithmNames.KeyType(parsedAlgorithm))
        {
            return Result(DkimVerdict.PermError, $"key type k={keyType} does not match a={algorithm}");
        }
        // 3.6.1 s=: service types, "email" or "*" must be among them.
        if (key["s"] is { } services && !services.Split(':').Any(s => s.Trim() is "*" or "email"))
        {
            return Result(DkimVerdict.PermError, "key record s= excludes email");
        }
        // 3.6.1 t=: y (testing) and s (i= domain must equal d=, no subdomains).
        string[] flags = (key["t"] ?? "").Split(':').Select(f => f.Trim()).ToArray();
        bool testing = flags.Contains("y");
        DkimResult KeyResult(DkimVerdict verdict, string reason) =>
            Result(verdict, testing ? reason + " (key in testing mode)" : reason) with { Testing = testing };
        if (flags.Contains("s") && identityDomain != domain)
        {
            return KeyResult(DkimVerdict.PermError, "key t=s forbids an i= subdomain");
        }
        if (key["p"] is not { } p)
        {
            return KeyResult(DkimVerdict.PermError, "key record without p=");
        }
        byte[] publicKey;
        try
        {
            publicKey = Convert.FromBase64String(DkimTagList.StripWhitespace(p));
        }
        catch (FormatException)
        {
            return KeyResult(DkimVerdict.PermError, "invalid base64 in key p=");
        }
        if (publicKey.Length == 0)
        {
            // 3.6.1 p= / 6.1.2: an empty p= means the key is revoked; "treat this as a failed signature check".
            return KeyResult(DkimVerdict.Fail, "key revoked");
        }

        // 6.1.3: the body hash, with the signer's canonicalization (the same code the signer uses).
        if (!canonicalBodies.TryGetValue(bodyCanon, out byte[]? canonicalBody))
        {
            canonicalBody = DkimCanonicalizer.Body(bodyCanon, body.Span);
            canonicalBodies[bodyCanon] = canonicalBody;
        }
        if (bodyLength is { } length)
        {
            // 3.5 l= / 8.2: we honor l= only when it covers the whole canonicalized body; unsigned
            // appended content (the l= attack of 8.2) or l= past the end fails. We never sign with l=.
            if (length != (ulong)canonicalBody.Length)
            {
                return KeyResult(DkimVerdict.Fail, length < (ulong)canonicalBody.Length ? "l= does not cover the whole body" : "l= is longer than the body");
            }
        }
        if (!CryptographicOperations.FixedTimeEquals(DkimHashing.BodyHash(canonicalBody), expectedBodyHash))
        {
            return KeyResult(DkimVerdict.Fail, "body hash did not verify");
        }

        // 3.7 / 6.1.3: the header hash over the h= fields and this field with b= emptied.
        byte[] headerData = DkimHashing.HeaderData(headers, signedNames, headerCanon, DkimHashing.NameAsWritten(field),
            DkimHashing.WithoutSignatureValue(field.RawValue.Span));
        if (parsedAlgorithm == DkimAlgorithm.RsaSha256)
        {
            using RSA rsa = RSA.Create();
            try
            {
                // 3.6.1 p=: SubjectPublicKeyInfo; some publish the bare RSAPublicKey, which we also accept.
                try
                {
                    rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
                }
                catch (CryptographicException)
                {
                    rsa.ImportRSAPublicKey(publicKey, out _);
                }
            }
            catch (CryptographicException)
            {
                return KeyResult(DkimVerdict.PermError, "key p= is not an RSA public key");
            }
            if (rsa.KeySize < options.MinRsaKeyBits)
            {
                return KeyResult(DkimVerdict.Fail, $"RSA key of {rsa.KeySize} bits is too small (RFC 8301 3.2)");
            }
            if (rsa.KeySize > options.MaxRsaKeyBits)
            {
                return KeyResult(DkimVerdict.PermError, $"RSA key of {rsa.KeySize} bits is larger than {options.MaxRsaKeyBits}");
            }
            // 3.3.1: RSASSA-PKCS1-v1_5 with SHA-256.
            return rsa.VerifyData(headerData, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                ? KeyResult(DkimVerdict.Pass, "good signature")
                : KeyResult(DkimVerdict.Fail, "signature did not verify");
        }
        // RFC 8463 4: p= is the 32-byte public key; 3: Ed25519 over the SHA-256 hash.
        if (publicKey.Length != Ed25519.KeySize)
        {
            return KeyResult(DkimVerdict.PermError, "key p= is not a 32-byte Ed25519 public key");
        }
        return Ed25519.Verify(publicKey, SHA256.HashData(headerData), signature)
            ? KeyResult(DkimVerdict.Pass, "good signature")
            : KeyResult(DkimVerdict.Fail, "signature did not verify");
    }

    // 3.5 c=: header[/body], default simple/simple; a header-only value means body simple.
    private static bool TryParseCanonicalization(string? value, out DkimCanonicalization header, out DkimCanonicalization body)
    {
        header = body = DkimCanonicalization.Simple;
        if (value is null)
        {
            return true;
        }
        string[] parts = value.Split('/');
        if (parts.Length > 2)
        {
            return false;
        }
        return TryParseOne(parts[0], out header) && (parts.Length == 1 || TryParseOne(parts[1], out body));
    }

    private static bool TryParseOne(string text, out DkimCanonicalization value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "simple":
                value = DkimCanonicalization.Simple;
                return true;
            case "relaxed":
                value = DkimCanonicalization.Relaxed;
                return true;
            default:
                value = default;
                return false;
        }
    }

    // RFC 6376 3.5 d= and s=: domain-name / selector, dot-separated sub-domains (letters, digits, hyphen, underscore in selectors).
    private static bool IsDomainName(string name) =>
        name.Length <= 253 && name.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
}
