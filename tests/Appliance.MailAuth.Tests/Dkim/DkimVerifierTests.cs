// RFC 6376 section 6 (verification), RFC 8301, RFC 8463 appendix A.
using Appliance.Dns;
using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Dmarc;
using static Appliance.MailAuth.Tests.Dkim.DkimTestMessages;

namespace Appliance.MailAuth.Tests.Dkim;

public sealed class DkimVerifierTests
{
    // Shared keys: RSA generation is slow, and the tests only read them.
    private static readonly DkimSigningKey Rsa = DkimSigningKey.GenerateRsa(1024 * 2);
    private static readonly DkimSigningKey Ed = DkimSigningKey.GenerateEd25519();

    private static DkimSigningKey KeyFor(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.RsaSha256 ? Rsa : Ed;

    private static async Task<DkimResult> VerifySingle(string message, IDnsResolver dns, DkimVerifierOptions? options = null)
    {
        IReadOnlyList<DkimResult> results = await new DkimVerifier(dns, options).VerifyAsync(Bytes(message));
        return Assert.Single(results);
    }

    [Fact]
    public async Task Rfc8463_appendix_A_both_signatures_pass()
    {
        FakeDnsResolver dns = new FakeDnsResolver()
            .AddTxt("brisbane._domainkey.football.example.com", Rfc8463Ed25519Record)
            .AddTxt("test._domainkey.football.example.com", Rfc8463RsaRecord);

        IReadOnlyList<DkimResult> results = await new DkimVerifier(dns).VerifyAsync(Rfc8463Message);

        Assert.Equal(2, results.Count);
        Assert.Equal((DkimVerdict.Pass, "football.example.com", "brisbane", "ed25519-sha256"), (results[0].Verdict, results[0].Domain, results[0].Selector, results[0].Algorithm));
        Assert.Equal((DkimVerdict.Pass, "football.example.com", "test", "rsa-sha256"), (results[1].Verdict, results[1].Domain, results[1].Selector, results[1].Algorithm));
        Assert.Equal(new DkimDomainResult("football.example.com", true), results[0].ToDomainResult());
    }

    [Fact]
    public void Rfc8463_A_1_private_key_gives_the_published_public_key()
    {
        using DkimSigningKey key = DkimSigningKey.FromEd25519Seed(Convert.FromBase64String(Rfc8463Ed25519Seed));
        Assert.Equal(Rfc8463Ed25519Record, key.DnsRecordValue);
    }

    [Fact]
    public async Task Rfc8463_ed25519_signature_with_a_wrong_key_fails()
    {
        using DkimSigningKey other = DkimSigningKey.GenerateEd25519();
        FakeDnsResolver dns = new FakeDnsResolver()
            .AddTxt("brisbane._domainkey.football.example.com", other.DnsRecordValue)
            .AddTxt("test._domainkey.football.example.com", Rfc8463RsaRecord);
        IReadOnlyList<DkimResult> results = await new DkimVerifier(dns).VerifyAsync(Rfc8463Message);
        Assert.Equal(DkimVerdict.Fail, results[0].Verdict);
        Assert.Equal("signature did not verify", results[0].Reason);
        Assert.Equal(DkimVerdict.Pass, results[1].Verdict);
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Simple, DkimCanonicalization.Simple)]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Relaxed, DkimCanonicalization.Relaxed)]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Relaxed, DkimCanonicalization.Simple)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Simple, DkimCanonicalization.Simple)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Relaxed, DkimCanonicalization.Relaxed)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Simple, DkimCanonicalization.Relaxed)]
    public async Task Sign_then_verify_passes(DkimAlgorithm algorithm, DkimCanonicalization header, DkimCanonicalization body)
    {
        DkimSigningKey key = KeyFor(algorithm);
        DkimSignerOptions options = new() { HeaderCanonicalization = header, BodyCanonicalization = body };

        DkimResult result = await VerifySingle(Sign(key, Unsigned, options), KeyDns(key));

        Assert.Equal(DkimVerdict.Pass, result.Verdict);
        Assert.Equal("example.com", result.Domain);
        Assert.Equal("sel", result.Selector);
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Simple)]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Relaxed)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Simple)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Relaxed)]
    public async Task Tampering_fails(DkimAlgorithm algorithm, DkimCanonicalization canonicalization)
    {
        DkimSigningKey key = KeyFor(algorithm);
        DkimSignerOptions options = new() { HeaderCanonicalization = canonicalization, BodyCanonicalization = canonicalization };
        string signed = Sign(key, Unsigned, options);

        DkimResult body = await VerifySingle(signed.Replace("We lost", "We won"), KeyDns(key));
        Assert.Equal((DkimVerdict.Fail, "body hash did not verify"), (body.Verdict, body.Reason));

        DkimResult subject = await VerifySingle(signed.Replace("Is dinner ready?", "Is lunch ready?"), KeyDns(key));
        Assert.Equal((DkimVerdict.Fail, "signature did not verify"), (subject.Verdict, subject.Reason));

        // From is oversigned: a second From added anywhere breaks the signature (RFC 6376 8.15).
        DkimResult addedFrom = await VerifySingle(signed.Replace("To: Suzie", "From: Mallory <m@evil.example>\r\nTo: Suzie"), KeyDns(key));
        Assert.Equal(DkimVerdict.Fail, addedFrom.Verdict);
        DkimResult addedFromOnTop = await VerifySingle("From: Mallory <m@evil.example>\r\n" + signed, KeyDns(key));
        Assert.Equal(DkimVerdict.Fail, addedFromOnTop.Verdict);
    }

    [Fact]
    public async Task Relaxed_survives_refolding_and_whitespace_changes()
    {
        string signed = Sign(Ed, Unsigned);
        string altered = signed.Replace("Subject: Is dinner ready?", "Subject:   Is dinner\r\n\tready?  ")
            .Replace("Are you hungry yet?  \r\n", "Are \t you hungry yet?\r\n") + "\r\n \r\n";
        Assert.Equal(DkimVerdict.Pass, (await VerifySingle(altered, KeyDns(Ed))).Verdict);
    }

    [Fact]
    public async Task Random_messages_round_trip_and_relaxed_tolerates_whitespace_changes()
    {
        Random random = new(8463);
        for (int i = 0; i < 40; i++)
        {
            string message = DkimRandomMessages.Create(random);
            string simple = Sign(Ed, message, new DkimSignerOptions { HeaderCanonicalization = DkimCanonicalization.Simple, BodyCanonicalization = DkimCanonicalization.Simple });
            Assert.Equal(DkimVerdict.Pass, (await VerifySingle(simple, KeyDns(Ed))).Verdict);

            string relaxed = Sign(Ed, message);
            // What relaxed forgives (3.4.2, 3.4.4): tabs to spaces, longer runs, trailing blanks and lines.
            string altered = relaxed.Replace("\t", "  ").Replace(" \r\n", "\r\n") + "\r\n\r\n";
            DkimResult result = await VerifySingle(altered, KeyDns(Ed));
            Assert.True(result.Verdict == DkimVerdict.Pass, $"{result.Reason}\n{altered}");
        }
    }

    [Fact]
    public async Task Unsigned_header_may_change_and_header_order_of_unsigned_fields_does_not_matter()
    {
        string signed = Sign(Ed, Unsigned);
        Assert.Equal(DkimVerdict.Pass, (await VerifySingle("Received: by mx.example.net\r\n" + signed, KeyDns(Ed))).Verdict);
    }

    [Fact]
    public async Task Expired_signature_fails()
    {
        FakeTime time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        string signed = Sign(Ed, Unsigned, new DkimSignerOptions { SignatureLifetime = TimeSpan.FromDays(1), TimeProvider = time });
        Assert.Contains("x=1700086400;", signed);

        DkimResult before = await VerifySingle(signed, KeyDns(Ed), new DkimVerifierOptions { TimeProvider = time });
        Assert.Equal(DkimVerdict.Pass, before.Verdict);

        time.Now = time.Now.AddDays(2);
        DkimResult after = await VerifySingle(signed, KeyDns(Ed), new DkimVerifierOptions { TimeProvider = time });
        Assert.Equal((DkimVerdict.Fail, "signature expired"), (after.Verdict, after.Reason));
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256)]
    [InlineData(DkimAlgorithm.Ed25519Sha256)]
    public async Task Signature_of_the_wrong_length_fails_without_throwing(DkimAlgorithm algorithm)
    {
        DkimSigningKey key = KeyFor(algorithm);
        string signed = Sign(key, Unsigned);
        int b = signed.IndexOf(" b=", StringComparison.Ordinal);
        int end = signed.IndexOf("\r\nFrom:", StringComparison.Ordinal);
        string truncated = signed[..(b + 3)] + "AAAA" + signed[end..];

        DkimResult result = await VerifySingle(truncated, KeyDns(key));

        Assert.Equal((DkimVerdict.Fail, "signature did not verify"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task Rsa_sha1_fails()
    {
        string signed = Sign(Rsa, Unsigned).Replace("a=rsa-sha256", "a=rsa-sha1");
        DkimResult result = await VerifySingle(signed, KeyDns(Rsa));
        Assert.Equal(DkimVerdict.Fail, result.Verdict);
        Assert.Contains("RFC 8301", result.Reason);
    }

    [Fact]
    public async Task Rsa_key_under_1024_bits_fails()
    {
        using System.Security.Cryptography.RSA small = System.Security.Cryptography.RSA.Create(512);
        string signed = Sign(Rsa, Unsigned);
        FakeDnsResolver dns = new FakeDnsResolver().AddTxt("sel._domainkey.example.com",
            "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(small.ExportSubjectPublicKeyInfo()));

        DkimResult result = await VerifySingle(signed, dns);

        Assert.Equal(DkimVerdict.Fail, result.Verdict);
        Assert.Equal("RSA key of 512 bits is too small (RFC 8301 3.2)", result.Reason);
    }

    [Fact]
    public void Signing_key_under_1024_bits_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DkimSigningKey.GenerateRsa(512));

    [Fact]
    public async Task Dns_servfail_is_temperror_and_no_key_is_permerror()
    {
        string signed = Sign(Ed, Unsigned);
        FakeDnsResolver failing = new FakeDnsResolver().Fail("sel._domainkey.example.com", DnsResponseStatus.ServerFailure, DnsRecordType.TXT);
        Assert.Equal(DkimVerdict.TempError, (await VerifySingle(signed, failing)).Verdict);

        DkimResult none = await VerifySingle(signed, new FakeDnsResolver());
        Assert.Equal((DkimVerdict.PermError, "no key at sel._domainkey.example.com"), (none.Verdict, none.Reason));
    }

    [Fact]
    public async Task Revoked_key_fails()
    {
        string signed = Sign(Ed, Unsigned);
        DkimResult result = await VerifySingle(signed, new FakeDnsResolver().AddTxt("sel._domainkey.example.com", "v=DKIM1; k=ed25519; p="));
        Assert.Equal((DkimVerdict.Fail, "key revoked"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task Key_type_must_match_the_algorithm()
    {
        string signed = Sign(Ed, Unsigned);
        DkimResult result = await VerifySingle(signed, new FakeDnsResolver().AddTxt("sel._domainkey.example.com", Rsa.DnsRecordValue));
        Assert.Equal(DkimVerdict.PermError, result.Verdict);
    }

    [Theory]
    [InlineData("v=1; a=ed25519-sha256; d=example.com; s=sel; h=to; bh=AAAA; b=AAAA", "h= does not include From")]
    [InlineData("v=2; a=ed25519-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "incompatible version v=2")]
    [InlineData("v=1; a=ed25519-sha256; d=example.com; s=sel; h=from; bh=AAAA", "missing required tag b=")]
    [InlineData("v=1; a=ed25519-sha256; d=example.com; i=joe@example.org; s=sel; h=from; bh=AAAA; b=AAAA", "i= is not within d=")]
    [InlineData("v=1; a=ed25519-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; t=20; x=10", "x= is before t=")]
    [InlineData("v=1; a=ed25519-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; d=example.org", "signature syntax: duplicate tag d=")]
    [InlineData("v=1; a=hmac-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "unknown algorithm a=hmac-sha256")]
    public async Task Malformed_signatures_are_permerror(string value, string reason)
    {
        DkimResult result = await VerifySingle("DKIM-Signature: " + value + "\r\n" + Unsigned, KeyDns(Ed));
        Assert.Equal((DkimVerdict.PermError, reason), (result.Verdict, result.Reason));
    }

    [Theory]
    [InlineData("v=DKIM2; k=ed25519; p={0}", DkimVerdict.PermError, "key record v= is not DKIM1")]
    [InlineData("v=DKIM1; h=sha1; k=ed25519; p={0}", DkimVerdict.PermError, "key record h= does not allow sha256")]
    [InlineData("v=DKIM1; k=ed25519; s=tlsrpt; p={0}", DkimVerdict.PermError, "key record s= excludes email")]
    [InlineData("v=DKIM1; k=ed25519", DkimVerdict.PermError, "key record without p=")]
    [InlineData("v=DKIM1; k=ed25519; p=AAAA", DkimVerdict.PermError, "key p= is not a 32-byte Ed25519 public key")]
    [InlineData("v=DKIM1; k=ed25519; p=!!", DkimVerdict.PermError, "invalid base64 in key p=")]
    [InlineData("v=DKIM1; h=sha1:sha256; k=ed25519; s=email:tlsrpt; t=y; p={0}", DkimVerdict.Pass, "good signature (key in testing mode)")]
    [InlineData("k=ed25519; p={0}", DkimVerdict.Pass, "good signature")]
    public async Task Key_record_tags(string record, DkimVerdict verdict, string reason)
    {
        string p = Convert.ToBase64String(Ed.PublicKey.Span);
        FakeDnsResolver dns = new FakeDnsResolver().AddTxt("sel._domainkey.example.com", string.Format(System.Globalization.CultureInfo.InvariantCulture, record, p));
        DkimResult result = await VerifySingle(Sign(Ed, Unsigned), dns);
        Assert.Equal((verdict, reason), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task Rsa_key_published_as_bare_RSAPublicKey_is_accepted()
    {
        using System.Security.Cryptography.RSA rsa = System.Security.Cryptography.RSA.Create(2048);
        using DkimSigningKey key = DkimSigningKey.ImportPem(rsa.ExportRSAPrivateKeyPem());
        FakeDnsResolver dns = new FakeDnsResolver().AddTxt("sel._domainkey.example.com", "v=DKIM1; p=" + Convert.ToBase64String(rsa.ExportRSAPublicKey()));
        Assert.Equal(DkimVerdict.Pass, (await VerifySingle(Sign(key, Unsigned), dns)).Verdict);
    }

    [Fact]
    public async Task Subdomain_identity_passes_unless_key_has_t_s()
    {
        string signed = Sign(Ed, Unsigned, new DkimSignerOptions { Identity = "joe@mail.example.com" });
        Assert.Equal(DkimVerdict.Pass, (await VerifySingle(signed, KeyDns(Ed))).Verdict);
        FakeDnsResolver strict = new FakeDnsResolver().AddTxt("sel._domainkey.example.com", Ed.DnsRecordValue + "; t=s");
        Assert.Equal(DkimVerdict.PermError, (await VerifySingle(signed, strict)).Verdict);
    }

    [Fact]
    public async Task Signatures_over_the_cap_are_neutral()
    {
        string message = Unsigned;
        for (int i = 0; i < 3; i++)
        {
            message = Sign(Ed, message);
        }
        IReadOnlyList<DkimResult> results = await new DkimVerifier(KeyDns(Ed), new DkimVerifierOptions { MaxSignatures = 2 }).VerifyAsync(Bytes(message));
        Assert.Equal([DkimVerdict.Pass, DkimVerdict.Pass, DkimVerdict.Neutral], results.Select(r => r.Verdict));
        Assert.Equal(("example.com", "sel"), (results[2].Domain, results[2].Selector));
    }

    [Fact]
    public async Task Body_length_tag_is_honored_only_when_it_covers_the_whole_body()
    {
        // We never sign with l=; build one by hand around our own signature to check the policy.
        string signed = Sign(Ed, Unsigned, new DkimSignerOptions { BodyCanonicalization = DkimCanonicalization.Simple });
        string withL = signed.Replace("v=1;", "v=1; l=5;");
        DkimResult result = await VerifySingle(withL, KeyDns(Ed));
        Assert.Equal((DkimVerdict.Fail, "l= does not cover the whole body"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task Header_over_the_limits_is_not_verified()
    {
        string signed = Sign(Ed, Unsigned);
        DkimVerifierOptions options = new() { HeaderLimits = new Appliance.Mime.HeaderLimits { MaxFieldCount = 3 } };
        DkimResult result = await VerifySingle(signed, KeyDns(Ed), options);
        Assert.Equal((DkimVerdict.PermError, "header exceeds HeaderLimits; not verified"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task No_signature_gives_no_results()
    {
        Assert.Empty(await new DkimVerifier(new FakeDnsResolver()).VerifyAsync(Bytes(Unsigned)));
    }

    private sealed class FakeTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
