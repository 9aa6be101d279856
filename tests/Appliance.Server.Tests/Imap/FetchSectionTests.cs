using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

/// <summary>FETCH sections (RFC 9051 section 6.4.5 and the fetch-att grammar) taken apart from the reader's raw atoms.</summary>
public sealed class FetchSectionTests
{
    private static FetchSection Parse(string atom)
    {
        Assert.True(FetchSection.TryParse(atom, out var section, out var error), error);
        return section;
    }

    [Fact]
    public void Whole_message_and_part_numbers()
    {
        var whole = Parse("BODY[]");
        Assert.Equal(("BODY", SectionText.None), (whole.Name, whole.Text));
        Assert.Empty(whole.Part);
        Assert.False(whole.IsPeek);
        var part = Parse("body.peek[1.2.3]");
        Assert.Equal("BODY.PEEK", part.Name);
        Assert.True(part.IsPeek);
        Assert.Equal([1u, 2u, 3u], part.Part);
    }

    [Fact]
    public void Header_fields_with_atoms_and_quoted_names()
    {
        var section = Parse("BODY.PEEK[HEADER.FIELDS (From \"Subject\" X-Mailer)]<0.2048>");
        Assert.Equal(SectionText.HeaderFields, section.Text);
        Assert.Equal(["From", "Subject", "X-Mailer"], section.Fields);
        Assert.Equal((0L, 2048L), section.Partial);
        Assert.Equal(SectionText.HeaderFieldsNot, Parse("BODY[2.HEADER.FIELDS.NOT (Received)]").Text);
    }

    [Theory]
    [InlineData("BODY[HEADER]", "Header")]
    [InlineData("BODY[TEXT]", "Text")]
    [InlineData("BODY[1.MIME]", "Mime")]
    [InlineData("BODY[4.2.TEXT]", "Text")]
    [InlineData("BODY[header]", "Header")]
    public void Text_specifiers(string atom, string text) => Assert.Equal(Enum.Parse<SectionText>(text), Parse(atom).Text);

    [Fact]
    public void Binary_sections_hold_part_numbers_only()
    {
        var binary = Parse("BINARY.PEEK[1.2]<100.50>");
        Assert.True(binary.IsBinary && binary.IsPeek);
        Assert.Equal([1u, 2u], binary.Part);
        Assert.Equal((100L, 50L), binary.Partial);
        Assert.Empty(Parse("BINARY.SIZE[]").Part);
    }

    [Theory]
    [InlineData("FLAGS")]
    [InlineData("ENVELOPE[]")]
    [InlineData("BODY[MIME]")]                // MIME needs part numbers
    [InlineData("BODY[0]")]                   // nz-number
    [InlineData("BODY[01]")]
    [InlineData("BODY[1.]")]
    [InlineData("BODY[1..2]")]
    [InlineData("BODY[4294967296]")]
    [InlineData("BODY[HEADER.FIELDS]")]       // needs a list
    [InlineData("BODY[HEADER.FIELDS ()]")]
    [InlineData("BODY[HEADER.FIELDS (a:b)]")]
    [InlineData("BODY[HEADER.FIELDS (From\"]")]
    [InlineData("BODY[HEADER extra]")]
    [InlineData("BODY[SUBJECT]")]
    [InlineData("BODY[]<5>")]                 // request partials have a length
    [InlineData("BODY[]<0.0>")]
    [InlineData("BODY[]<a.1>")]
    [InlineData("BODY[]x")]
    [InlineData("BINARY[HEADER]")]
    [InlineData("BINARY.SIZE[1]<0.10>")]
    public void Refuses_what_the_grammar_does_not_allow(string atom)
    {
        Assert.False(FetchSection.TryParse(atom, out _, out var error));
        Assert.NotNull(error);
    }

    /// <summary>The reader keeps the item as one atom; this takes it apart.</summary>
    [Fact]
    public void Works_on_what_the_reader_produces()
    {
        var reader = new ImapCommandReader();
        var bytes = "a FETCH 1 (BODY.PEEK[1.HEADER.FIELDS (To Cc)]<10.20>)\r\n"u8.ToArray();
        var result = reader.Read(new System.Buffers.ReadOnlySequence<byte>(bytes), new ImapServerOptions().ReadLimits(authenticated: true));
        var section = Parse(result.Command!.Arguments[1].Items[0].Text);
        Assert.Equal([1u], section.Part);
        Assert.Equal(["To", "Cc"], section.Fields);
        Assert.Equal((10L, 20L), section.Partial);
    }
}
