namespace Appliance.Mime.Tests;

public sealed class ContentHeaderTests
{
    [Fact]
    public void Parses_value_and_parameters()
    {
        ContentHeader header = ContentHeader.Parse("Text/HTML ; Charset=\"UTF-8\"; format=flowed;  name=\"a \\\"b\\\".txt\"; junk; x=unquoted with spaces ");

        Assert.Equal("text/html", header.Value);
        Assert.Equal("UTF-8", header.GetParameter("charset"));
        Assert.Equal("flowed", header.GetParameter("format"));
        Assert.Equal("a \"b\".txt", header.GetParameter("name"));
        Assert.Equal("unquoted with spaces", header.GetParameter("x"));
        Assert.Null(header.GetParameter("junk"));
        Assert.Null(header.GetParameter("missing"));
    }

    [Fact]
    public void Missing_or_odd_values()
    {
        Assert.Equal("", ContentHeader.Parse(null).Value);
        Assert.Equal("", ContentHeader.Parse("").Value);
        Assert.Equal("text/plain", ContentHeader.Parse("text/plain (a comment)").Value);
        Assert.Equal("attachment", ContentHeader.Parse("attachment").Value);
        Assert.Equal("b", ContentHeader.Parse(";;;a=\"b").GetParameter("a"));
    }

    [Theory]
    // RFC 2231 3: continuations
    [InlineData("message/external-body; access-type=URL; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"", "url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")]
    // RFC 2231 4: charset and language
    [InlineData("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "title", "This is ***fun***")]
    // RFC 2231 4.1: both, with mixed encoded and plain sections
    [InlineData("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"", "title", "This is even more ***fun*** isn't it!")]
    [InlineData("attachment; filename*=utf-8''%E2%82%AC%20rates.pdf", "filename", "€ rates.pdf")]
    [InlineData("attachment; filename*=iso-8859-1''caf%E9.txt", "filename", "café.txt")]
    [InlineData("attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC.pdf", "filename", "€.pdf")] // a character split across sections
    [InlineData("attachment; filename*1=b.pdf; filename*0=a", "filename", "ab.pdf")] // out of order
    [InlineData("attachment; filename*=''plain%20name", "filename", "plain name")]
    // RFC 2047 words in a parameter: forbidden, common
    [InlineData("application/pdf; name=\"=?utf-8?B?w6l0w6kucGRm?=\"", "name", "été.pdf")]
    // the extended form wins over the plain fallback
    [InlineData("attachment; filename=\"fallback.pdf\"; filename*=utf-8''real.pdf", "filename", "real.pdf")]
    public void Rfc2231_and_encoded_word_parameters(string value, string name, string expected)
    {
        Assert.Equal(expected, ContentHeader.Parse(value).GetParameter(name));
    }

    [Fact]
    public void Has_parameter_sees_every_form()
    {
        Assert.True(ContentHeader.Parse("attachment; filename=a").HasParameter("filename"));
        Assert.True(ContentHeader.Parse("attachment; filename*=utf-8''a").HasParameter("filename"));
        Assert.True(ContentHeader.Parse("attachment; filename*0*=utf-8''a").HasParameter("filename"));
        Assert.False(ContentHeader.Parse("attachment; filenames=a").HasParameter("filename"));
        Assert.False(ContentHeader.Parse("inline").HasParameter("filename"));
    }

    [Fact]
    public void Repeated_parameters_keep_the_first_value_and_the_written_order_past_the_inline_eight()
    {
        // Twelve distinct names, each written twice: the second value never wins, in the first eight
        // (checked by a scan) or after them (checked by a set).
        string text = "text/plain; " + string.Join("; ", Enumerable.Range(0, 12).Select(i => $"p{i}=first{i}")) + "; " +
            string.Join("; ", Enumerable.Range(0, 12).Select(i => $"P{i}=second{i}"));

        ContentHeader header = ContentHeader.Parse(text);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"p{i}"), header.Parameters.Keys);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"first{i}"), header.Parameters.Values);
        Assert.Equal("first3", header.GetParameter("p3"));
        Assert.Equal("first11", header.GetParameter("p11"));
    }

    [Fact]
    public void Thousands_of_parameters_parse_in_linear_time()
    {
        // A 100 KB hostile value: a scan per parameter for repeats would be quadratic.
        string text = "text/plain" + string.Concat(Enumerable.Range(0, 20_000).Select(i => $";a{i}=1"));

        ContentHeader header = ContentHeader.Parse(text);

        Assert.Equal(20_000, header.Parameters.Count);
        Assert.Equal("1", header.GetParameter("a19999"));
    }
}
