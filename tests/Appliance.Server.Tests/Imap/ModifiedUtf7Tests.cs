using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

public sealed class ModifiedUtf7Tests
{
    /// <summary>RFC 3501 section 5.1.3's examples and a few of ours.</summary>
    [Theory]
    [InlineData("~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")]
    [InlineData("INBOX", "INBOX")]
    [InlineData("Tom & Jerry", "Tom &- Jerry")]
    [InlineData("&", "&-")]
    [InlineData("&&", "&-&-")]
    [InlineData("", "")]
    [InlineData("Entw\u00fcrfe", "Entw&APw-rfe")]
    [InlineData("\u00e9&\u00e9", "&AOk-&-&AOk-")]
    [InlineData("Gesendete Objekte \U0001F4E7", "Gesendete Objekte &2D3c5w-")]
    [InlineData("\u263a!", "&Jjo-!")]
    [InlineData("\u263a\u263a", "&JjomOg-")]
    [InlineData("tab\there", "tab&AAk-here")]
    public void Encodes_and_decodes_the_one_canonical_form(string name, string encoded)
    {
        Assert.Equal(encoded, ModifiedUtf7.Encode(name));
        Assert.True(ModifiedUtf7.TryDecode(encoded, out var decoded, out var error), error);
        Assert.Equal(name, decoded);
    }

    [Theory]
    [InlineData("&U,BTFw", "unterminated")]
    [InlineData("a&", "unterminated")]
    [InlineData("&U,BTFw=-", "padding")]
    [InlineData("&U/BTFw-", "not a modified base64")]
    [InlineData("&U,BTF-", "leftover")]          // 30 bits: one unit and 14 extra bits
    [InlineData("&AOkA-", "leftover")]           // a whole extra character
    [InlineData("&AOl-", "leftover")]            // non-zero leftover bits
    [InlineData("&AGE-", "printable")]           // "a" encoded
    [InlineData("&ACY-", "printable")]           // "&" encoded instead of "&-"
    [InlineData("&AC8-", "printable")]           // "/" smuggled as base64
    [InlineData("&Jjo-&Jjo-", "adjacent")]
    [InlineData("&2D0-", "high surrogate")]      // lone high surrogate
    [InlineData("&2D3YPQ-", "high surrogate")]   // high followed by high
    [InlineData("&3OcAQQ-", "low surrogate")]    // lone low surrogate
    [InlineData("caf\u00e9", "printable US-ASCII")]
    [InlineData("a\tb", "printable US-ASCII")]
    [InlineData("&-&-&", "unterminated")]
    [InlineData("& -", "not a modified base64")]
    public void The_decoder_refuses_every_other_spelling(string encoded, string reason)
    {
        Assert.False(ModifiedUtf7.TryDecode(encoded, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Random_names_round_trip_and_random_strings_never_throw()
    {
        var random = new Random(3501);
        for (int n = 0; n < 5000; n++)
        {
            var chars = new char[random.Next(0, 12)];
            for (int i = 0; i < chars.Length; i++)
                chars[i] = random.Next(4) switch { 0 => (char)random.Next(0x20, 0x7f), 1 => '&', 2 => (char)random.Next(0x80, 0xd800), _ => (char)random.Next(0xe000, 0x10000) };
            string name = new(chars);
            Assert.True(ModifiedUtf7.TryDecode(ModifiedUtf7.Encode(name), out var back));
            Assert.Equal(name, back);

            // a random ASCII string either is canonical (and re-encodes to itself) or is refused
            var junk = new string([.. Enumerable.Range(0, random.Next(0, 10)).Select(_ => "&-AZaz09+,/=Jjo"[random.Next(15)])]);
            if (ModifiedUtf7.TryDecode(junk, out var decoded))
                Assert.Equal(junk, ModifiedUtf7.Encode(decoded));
        }
    }
}
