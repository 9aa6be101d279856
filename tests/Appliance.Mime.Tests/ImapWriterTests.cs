namespace Appliance.Mime.Tests;

public sealed class ImapWriterTests
{
    [Fact]
    public void Nil_quoted_and_literal_strings()
    {
        string text = new ImapWriter()
            .Open().Nil().String(null).String("plain").String("a \"q\" \\ b").String("").Close()
            .Open(adjacent: true).String("tab\there").String("é").String("a\0b").Number(42).Close()
            .ToString();

        Assert.Equal("(NIL NIL \"plain\" \"a \\\"q\\\" \\\\ b\" \"\")({8}\r\ntab\there {2}\r\né {2}\r\nab 42)", text);
    }
}
