using System.Text;

namespace Appliance.Mime.Tests;

public sealed class TransferEncodingsTests
{
    [Theory]
    [InlineData("SGVsbG8sIHdvcmxkIQ==", "Hello, world!")]
    [InlineData("SGVs\r\nbG8s\r\nIHdv cmxk\tIQ==\r\n", "Hello, world!")] // line breaks and whitespace (RFC 2045 6.8)
    [InlineData("SGVsbG8sIHdvcmxkIQ", "Hello, world!")] // lost padding
    [InlineData("SGVsbG8sIHdvcmxkIQ==garbage after padding", "Hello, world!")]
    [InlineData("SGVs*bG8=", "Hello")] // stray characters skipped
    [InlineData("SGVsbG8sIHdvcmxkI", "Hello, world")] // cut prefix: the whole bytes it holds
    [InlineData("", "")]
    public void Base64(string encoded, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(TransferEncodings.DecodeBase64(Encoding.ASCII.GetBytes(encoded))));
    }

    [Theory]
    [InlineData("caf=C3=A9", "café")]
    [InlineData("caf=c3=a9", "café")] // lower-case hex, tolerated
    [InlineData("soft=\r\nbreak", "softbreak")]
    [InlineData("soft=\nbreak", "softbreak")] // bare LF
    [InlineData("soft=  \r\nbreak", "softbreak")] // transport padding after "=" (RFC 2045 6.7 rule 3)
    [InlineData("hard\r\nbreak", "hard\r\nbreak")]
    [InlineData("a =ZZ b", "a =ZZ b")] // malformed escape kept
    [InlineData("a = b", "a = b")]
    [InlineData("ends with =", "ends with ")] // "=" cut off at the end of a prefix
    [InlineData("ends with =C", "ends with =C")]
    public void Quoted_printable(string encoded, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(TransferEncodings.DecodeQuotedPrintable(Encoding.ASCII.GetBytes(encoded))));
    }
}
