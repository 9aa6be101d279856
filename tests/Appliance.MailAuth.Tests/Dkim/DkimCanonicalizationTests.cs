// RFC 6376 3.4.5: canonicalization examples, byte for byte; plus the empty-body rules of 3.4.3 / 3.4.4.
using System.Text;
using Appliance.MailAuth.Dkim;
using Appliance.Mime;

namespace Appliance.MailAuth.Tests.Dkim;

public sealed class DkimCanonicalizationTests
{
    private const string ExampleHeader = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
    private const string ExampleBody = " C \r\nD \t E\r\n\r\n\r\n";

    private static string Headers(DkimCanonicalization algorithm)
    {
        HeaderBlock block = HeaderBlock.Parse(Encoding.ASCII.GetBytes(ExampleHeader + "\r\n" + ExampleBody));
        using MemoryStream output = new();
        foreach (HeaderField field in block)
        {
            DkimCanonicalizer.Header(algorithm, DkimHashing.NameAsWritten(field), field.RawValue.Span, output);
        }
        return Encoding.ASCII.GetString(output.ToArray());
    }

    private static string Body(DkimCanonicalization algorithm, string body) =>
        Encoding.ASCII.GetString(DkimCanonicalizer.Body(algorithm, Encoding.ASCII.GetBytes(body)));

    [Fact]
    public void Rfc6376_3_4_5_relaxed_header() => Assert.Equal("a:X\r\nb:Y Z\r\n", Headers(DkimCanonicalization.Relaxed));

    [Fact]
    public void Rfc6376_3_4_5_relaxed_body() => Assert.Equal(" C\r\nD E\r\n", Body(DkimCanonicalization.Relaxed, ExampleBody));

    [Fact]
    public void Rfc6376_3_4_5_simple_header() => Assert.Equal("A: X\r\nB : Y\t\r\n\tZ  \r\n", Headers(DkimCanonicalization.Simple));

    [Fact]
    public void Rfc6376_3_4_5_simple_body() => Assert.Equal(" C \r\nD \t E\r\n", Body(DkimCanonicalization.Simple, ExampleBody));

    [Theory]
    [InlineData(DkimCanonicalization.Simple, "", "\r\n")]          // 3.4.3: empty body is one CRLF
    [InlineData(DkimCanonicalization.Simple, "\r\n\r\n", "\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "", "")]              // 3.4.4: empty stays empty
    [InlineData(DkimCanonicalization.Relaxed, "\r\n \r\n", "")]
    [InlineData(DkimCanonicalization.Simple, "x", "x\r\n")]         // a missing final CRLF is added
    [InlineData(DkimCanonicalization.Relaxed, "x \t", "x\r\n")]
    [InlineData(DkimCanonicalization.Simple, "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n")] // inner empty lines stay
    public void Body_edge_cases(DkimCanonicalization algorithm, string body, string expected) =>
        Assert.Equal(expected, Body(algorithm, body));

    [Fact]
    public void Signature_value_is_removed_with_its_whitespace_and_bh_is_kept()
    {
        byte[] raw = Encoding.ASCII.GetBytes(" v=1; bh=abc=; b=AAAA\r\n BBBB ;d=x; b =CC");
        Assert.Equal(" v=1; bh=abc=; b=;d=x; b =", Encoding.ASCII.GetString(DkimHashing.WithoutSignatureValue(raw)));
    }
}
