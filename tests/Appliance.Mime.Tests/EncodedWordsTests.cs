using System.Text;

namespace Appliance.Mime.Tests;

public sealed class EncodedWordsTests
{
    [Theory]
    // RFC 2047 8 examples
    [InlineData("=?ISO-8859-1?Q?a?=", "a")]
    [InlineData("=?ISO-8859-1?Q?a?= b", "a b")]
    [InlineData("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab")]
    [InlineData("=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=", "ab")]
    [InlineData("=?ISO-8859-1?Q?a?=\t =?ISO-8859-1?Q?b?=", "ab")]
    [InlineData("=?ISO-8859-1?Q?a_b?=", "a b")]
    [InlineData("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b")]
    [InlineData("(=?ISO-8859-1?Q?a?=)", "(a)")]
    [InlineData("(=?ISO-8859-1?Q?a?= b)", "(a b)")]
    // B and Q, upper and lower case, language suffix (RFC 2231 5)
    [InlineData("=?utf-8?b?SGVsbG8gV29ybGQ=?=", "Hello World")]
    [InlineData("=?UTF-8?B?w6l0w6k=?=", "été")]
    [InlineData("=?utf-8?q?=C3=A9t=C3=A9?=", "été")]
    [InlineData("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore")]
    [InlineData("=?utf-8?Q?=3D=5F?=", "=_")]
    [InlineData("=?utf-8?q??=", "")]
    // text around words is kept; whitespace between a word and text is kept
    [InlineData("Re: =?utf-8?q?caf=C3=A9?= time", "Re: café time")]
    [InlineData("Re:=?utf-8?q?caf=C3=A9?=", "Re:café")]
    // missing base64 padding is tolerated
    [InlineData("=?utf-8?B?w6l0w6k?=", "été")]
    // a UTF-8 sequence split across two adjacent words is rejoined before decoding
    [InlineData("=?utf-8?B?ww==?= =?utf-8?B?qQ==?=", "é")]
    [InlineData("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=", "é")]
    public void Decodes(string input, string expected)
    {
        Assert.Equal(expected, EncodedWords.Decode(input));
    }

    [Theory]
    [InlineData("=?utf-8?X?abc?=")] // unknown encoding
    [InlineData("=?utf-8?B?###?=")] // not base64
    [InlineData("=?utf-8?B?a?=")] // impossible base64 length
    [InlineData("=?utf-8?B?broken===?=")] // three padding characters
    [InlineData("=?utf-8?B?w6k=w6k=?=")] // padding in the middle
    [InlineData("=?utf-8?Q?has space?=")] // whitespace inside
    [InlineData("=?utf-8?Q?unterminated")]
    [InlineData("=??Q?nocharset?=")]
    [InlineData("=?utf-8?Q")]
    [InlineData("=?")]
    [InlineData("a =? b ?= c")]
    [InlineData("plain text")]
    public void Leaves_malformed_words_as_written(string input)
    {
        Assert.Equal(input, EncodedWords.Decode(input));
    }

    [Fact]
    public void Broken_q_escape_stays_literal()
    {
        Assert.Equal("100=% sure", EncodedWords.Decode("=?utf-8?Q?100=%_sure?="));
    }

    [Fact]
    public void Malformed_word_between_good_ones_breaks_the_join()
    {
        Assert.Equal("a =?utf-8?B?###?= b", EncodedWords.Decode("=?utf-8?q?a?= =?utf-8?B?###?= =?utf-8?q?b?="));
    }

    [Theory]
    [InlineData("iso-8859-1", "Café crème")]
    [InlineData("iso-8859-2", "Łódź, Žluťoučký kůň")]
    [InlineData("iso-8859-5", "Привет")]
    [InlineData("iso-8859-7", "Καλημέρα")]
    [InlineData("iso-8859-15", "Prix: 5 €")]
    [InlineData("windows-1250", "Zażółć gęślą jaźń")]
    [InlineData("windows-1251", "Привет, мир")]
    [InlineData("windows-1252", "“quoted” – dash")]
    [InlineData("koi8-r", "Съешь же ещё этих мягких французских булок")]
    [InlineData("koi8-u", "Ґанок і їжак")]
    [InlineData("gb2312", "你好，世界")]
    [InlineData("gbk", "中文邮件")]
    [InlineData("gb18030", "中文邮件")]
    [InlineData("big5", "繁體中文")]
    [InlineData("shift_jis", "こんにちは世界")]
    [InlineData("euc-jp", "こんにちは世界")]
    [InlineData("iso-2022-jp", "こんにちは世界")]
    [InlineData("euc-kr", "안녕하세요")]
    [InlineData("ks_c_5601-1987", "안녕하세요")]
    public void Decodes_legacy_charsets_in_b_and_q_words(string charset, string text)
    {
        byte[] bytes = Legacy.Encode(charset, text);
        string b = $"=?{charset}?B?{Convert.ToBase64String(bytes)}?=";
        string q = $"=?{charset}?Q?{string.Concat(bytes.Select(x => $"={x:X2}"))}?=";

        Assert.Equal(text, EncodedWords.Decode(b));
        Assert.Equal(text, EncodedWords.Decode(q));
    }

    [Fact]
    public void Iso_2022_jp_subject_as_sent_by_japanese_mailers()
    {
        // Real-world form: one B word per line, each a complete ISO-2022-JP escape sequence run.
        var field = HeaderBlock.Parse(Encoding.ASCII.GetBytes(
            "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n =?ISO-2022-JP?B?GyRCQCQzJhsoQg==?=\r\n\r\n"))[0];

        Assert.Equal("こんにちは世界", field.DecodeText());
    }

    [Theory]
    [InlineData("x-unknown-charset")]
    [InlineData("us-ascii")]
    [InlineData("unknown-8bit")]
    [InlineData("utf-7")]
    public void Unknown_or_wrong_charset_falls_back_to_utf8_then_latin1(string charset)
    {
        Assert.Equal("été", EncodedWords.Decode($"=?{charset}?Q?=C3=A9t=C3=A9?="));
        Assert.Equal("été", EncodedWords.Decode($"=?{charset}?Q?=E9t=E9?="));
    }

    [Theory]
    [InlineData("cp1251")]
    [InlineData("CP-1251")]
    [InlineData("x-cp1251")]
    [InlineData("Windows-1251")]
    [InlineData("\"windows-1251\"")]
    public void Charset_label_variants(string label)
    {
        Assert.Equal("мир", Charsets.Decode(Legacy.Encode("windows-1251", "мир"), label));
    }

    [Fact]
    public void Raw_bytes_are_utf8_when_valid_else_latin1()
    {
        Assert.Equal("Grüße", Charsets.DecodeRaw("Grüße"u8));
        Assert.Equal("Grüße", Charsets.DecodeRaw(Encoding.Latin1.GetBytes("Grüße")));
        // A prefix cut inside a UTF-8 sequence is still UTF-8.
        Assert.Equal("Gr", Charsets.DecodeRawPrefix("Grü"u8[..3]));
    }
}
