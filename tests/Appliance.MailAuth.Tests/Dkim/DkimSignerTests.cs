// RFC 6376 3.5 (the field), 5.4 / 5.4.2 (signed fields, oversigning), 3.6.1 (key records).
using System.Text;
using Appliance.MailAuth.Dkim;
using Appliance.Mime;
using static Appliance.MailAuth.Tests.Dkim.DkimTestMessages;

namespace Appliance.MailAuth.Tests.Dkim;

public sealed class DkimSignerTests
{
    private static readonly DkimSigningKey Rsa = DkimSigningKey.GenerateRsa();

    private static Dictionary<string, string> Tags(string field)
    {
        HeaderField parsed = HeaderBlock.Parse(Encoding.ASCII.GetBytes(field + "\r\n"))[0];
        return parsed.Value.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => string.Concat(p[1].Where(c => !char.IsWhiteSpace(c))));
    }

    [Fact]
    public void Field_is_folded_at_78_columns_and_ends_in_crlf()
    {
        string field = new DkimSigner(Rsa, "example.com", "sel").Sign(Bytes(Unsigned));

        Assert.StartsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;", field);
        Assert.EndsWith("\r\n", field);
        string[] lines = field[..^2].Split("\r\n");
        Assert.True(lines.Length > 3);
        Assert.All(lines, line => Assert.True(line.Replace("\t", "        ").Length <= DkimSigner.LineWidth, $"too long: {line}"));
        Assert.All(lines.Skip(1), line => Assert.StartsWith("\t", line));
    }

    [Fact]
    public void Present_fields_are_signed_and_From_is_oversigned()
    {
        string field = new DkimSigner(Rsa, "example.com", "sel").Sign(Bytes(Unsigned));
        Dictionary<string, string> tags = Tags(field);

        // One From present, listed twice (5.4.2: the extra one stands for "no further From").
        Assert.Equal("From:From:Subject:Date:Message-ID:To", tags["h"]);
        Assert.Equal(2, tags["h"].Split(':').Count(n => n == "From"));
    }

    [Fact]
    public void Timestamp_and_expiry_come_from_the_clock()
    {
        DkimSignerOptions options = new() { TimeProvider = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1528637909)), SignatureLifetime = TimeSpan.FromHours(1) };
        Dictionary<string, string> tags = Tags(new DkimSigner(Rsa, "Example.COM.", "sel", options).Sign(Bytes(Unsigned)));
        Assert.Equal(("1528637909", "1528641509", "example.com"), (tags["t"], tags["x"], tags["d"]));
    }

    [Fact]
    public void Body_hash_matches_rfc8463_example()
    {
        // RFC 8463 A.3: bh= of the sample body, relaxed.
        using DkimSigningKey key = DkimSigningKey.FromEd25519Seed(Convert.FromBase64String(Rfc8463Ed25519Seed));
        string body = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
        string field = new DkimSigner(key, "football.example.com", "brisbane").Sign(Bytes("From: Joe SixPack <joe@football.example.com>\r\n\r\n" + body));
        Assert.Equal("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", Tags(field)["bh"]);
    }

    [Fact]
    public void Signed_header_list_without_From_is_refused() =>
        Assert.Throws<ArgumentException>(() => new DkimSigner(Rsa, "example.com", "sel", new DkimSignerOptions { SignedHeaders = ["Subject"] }));

    [Fact]
    public void Key_record_values_and_zone_file_split()
    {
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", Rsa.DnsRecordValue);
        IReadOnlyList<string> parts = DkimSigningKey.SplitTxtValue(Rsa.DnsRecordValue);
        Assert.Equal(2, parts.Count);
        Assert.Equal(255, parts[0].Length);
        Assert.Equal(Rsa.DnsRecordValue, string.Concat(parts));
        Assert.Equal($"( \"{parts[0]}\" \"{parts[1]}\" )", DkimSigningKey.FormatForZoneFile(Rsa.DnsRecordValue));

        using DkimSigningKey ed = DkimSigningKey.GenerateEd25519();
        Assert.Matches("^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$", ed.DnsRecordValue);
        Assert.Single(DkimSigningKey.SplitTxtValue(ed.DnsRecordValue));
    }

    [Fact]
    public void Pem_export_imports_back_to_the_same_key()
    {
        using DkimSigningKey rsa = DkimSigningKey.ImportPem(Rsa.ExportPem());
        Assert.Equal(Rsa.DnsRecordValue, rsa.DnsRecordValue);

        using DkimSigningKey ed = DkimSigningKey.FromEd25519Seed(Convert.FromBase64String(Rfc8463Ed25519Seed));
        using DkimSigningKey back = DkimSigningKey.ImportPem(ed.ExportPem());
        Assert.Equal((DkimAlgorithm.Ed25519Sha256, Rfc8463Ed25519Record), (back.Algorithm, back.DnsRecordValue));
    }

    [Fact]
    public void Importing_a_512_bit_rsa_key_is_refused()
    {
        using System.Security.Cryptography.RSA small = System.Security.Cryptography.RSA.Create(512);
        Assert.Throws<ArgumentOutOfRangeException>(() => DkimSigningKey.ImportPem(small.ExportPkcs8PrivateKeyPem()));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
