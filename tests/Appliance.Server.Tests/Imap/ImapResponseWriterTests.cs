using System.Buffers;
using System.Text;
using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

public sealed class ImapResponseWriterTests
{
    private static string Write(Action<ImapResponseWriter> write, bool utf8 = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new ImapResponseWriter(buffer) { Utf8Quoted = utf8 });
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData("INBOX", "INBOX")]
    [InlineData("Sent]", "Sent]")]
    [InlineData("with space", "\"with space\"")]
    [InlineData("", "\"\"")]
    [InlineData("NIL", "\"NIL\"")]
    [InlineData("nil", "\"nil\"")]
    [InlineData("a%b", "\"a%b\"")]
    [InlineData("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"")]
    [InlineData("(x)", "\"(x)\"")]
    [InlineData("a[b", "\"a[b\"")]
    [InlineData("007", "007")]
    [InlineData("line\r\nbreak", "{11}\r\nline\r\nbreak")]
    public void Astrings_are_atoms_when_they_can_be_else_quoted_else_literals(string value, string expected)
    {
        Assert.Equal(expected, Write(w => w.AString(value)));
    }

    [Fact]
    public void Eight_bit_strings_are_quoted_only_when_utf8_is_allowed()
    {
        Assert.Equal("{9}\r\nEntw\u00fcrfe", Write(w => w.String("Entw\u00fcrfe")));
        Assert.Equal("\"Entw\u00fcrfe\"", Write(w => w.String("Entw\u00fcrfe"), utf8: true));
        // invalid UTF-8 is never quoted
        var buffer = new ArrayBufferWriter<byte>();
        new ImapResponseWriter(buffer) { Utf8Quoted = true }.String([0x41, 0xff]);
        Assert.Equal([.. "{2}\r\n"u8, 0x41, 0xff], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Long_strings_and_nul_go_as_literals()
    {
        var longText = new string('a', ImapResponseWriter.MaxQuotedLength + 1);
        Assert.Equal($"{{{longText.Length}}}\r\n{longText}", Write(w => w.String(longText)));
        Assert.Equal($"\"{longText[1..]}\"", Write(w => w.String(longText[1..])));
        Assert.Equal("{3}\r\na\0b", Write(w => w.String("a\0b")));
        Assert.Equal("~{3}\r\na\0b", Write(w => w.Literal8("a\0b"u8)));
    }

    [Fact]
    public void Lists_nil_numbers_and_literals_are_spaced_like_rfc_9051_examples()
    {
        // RFC 9051 7.5.2 style FETCH response
        var text = Write(w =>
        {
            w.Untagged().Number(12).Atom("FETCH").BeginList()
                .Atom("FLAGS").BeginList().Atom("\\Seen").Atom("$Junk").EndList()
                .Atom("UID").Number(4827313)
                .Atom("BODY[HEADER.FIELDS (SUBJECT)]").Literal("Subject: x\r\n\r\n"u8)
                .Atom("ENVELOPE").BeginList().NString(null).NString("hi").BeginList().EndList().EndList()
                .EndList().EndLine();
        });
        Assert.Equal("* 12 FETCH (FLAGS (\\Seen $Junk) UID 4827313 BODY[HEADER.FIELDS (SUBJECT)] {14}\r\nSubject: x\r\n\r\n ENVELOPE (NIL \"hi\" ()))\r\n", text);
    }

    [Fact]
    public void Status_responses_carry_tags_codes_and_clean_text()
    {
        Assert.Equal("a1 OK [READ-WRITE] SELECT completed\r\n", Write(w => w.Status("a1", ImapStatus.Ok, "READ-WRITE", "SELECT completed")));
        Assert.Equal("a2 NO [TOOBIG] Literals are limited\r\n", Write(w => w.Status("a2", ImapStatus.No, "TOOBIG", "Literals are limited")));
        Assert.Equal("* BAD Invalid  command\r\n", Write(w => w.Status(null, ImapStatus.Bad, null, "Invalid\r\ncommand")));
        Assert.Equal("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", Write(w => w.Status(null, ImapStatus.Ok, "UIDVALIDITY 3857529045", "UIDs valid")));
        Assert.Equal("* BYE Autologout\r\n", Write(w => w.Status(null, ImapStatus.Bye, null, "Autologout")));
        Assert.Equal("a3 OK Completed\r\n", Write(w => w.Status("a3", ImapStatus.Ok, null, "")));
        Assert.Equal("+ Ready for literal\r\n", Write(w => w.Continuation("Ready for literal")));
    }

    [Fact]
    public void Read_errors_are_answered_in_one_place()
    {
        var (status, code) = ImapReadErrors.Reply(ImapReadError.LiteralTooLarge);
        Assert.Equal("a1 NO [TOOBIG] too big\r\n", Write(w => w.Status("a1", status, code, "too big")));
        (status, code) = ImapReadErrors.Reply(ImapReadError.Syntax);
        Assert.Equal("* BAD bad\r\n", Write(w => w.Status(null, status, code, "bad")));

        var limits = new ImapServerOptions().ReadLimits(authenticated: true) with { MaxLiteralSize = 10 };
        var tooBig = new ImapCommandReader().Read(new ReadOnlySequence<byte>("a7 APPEND INBOX {11}\r\n"u8.ToArray()), limits);
        Assert.Equal("a7 NO [TOOBIG] Literals are limited to 10 octets\r\n", Write(w => w.ReadError(tooBig)));
        var noTag = new ImapCommandReader().Read(new ReadOnlySequence<byte>("(x NOOP\r\n"u8.ToArray()), limits);
        Assert.Equal("* BAD Missing tag\r\n", Write(w => w.ReadError(noTag)));
    }

    /// <summary>What the writer produces, the reader reads back to the same octets (strings of every kind).</summary>
    [Fact]
    public void Written_strings_read_back_through_the_command_reader()
    {
        var random = new Random(6855);
        for (int n = 0; n < 500; n++)
        {
            var value = new byte[random.Next(0, 40)];
            for (int i = 0; i < value.Length; i++)
                value[i] = (byte)random.Next(1, 256);
            if (n % 3 == 0)
                value = [.. value.Select(b => (byte)(b % 0x5f + 0x20))];
            var buffer = new ArrayBufferWriter<byte>();
            new ImapResponseWriter(buffer).Tagged("t").Atom("X").AString(value).EndLine();
            var reader = new ImapCommandReader();
            var sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
            var result = reader.Read(sequence, new ImapServerOptions().ReadLimits(authenticated: true));
            if (result.Status == ImapReadStatus.NeedContinuation) // the reader asks for "+" before a literal from the client side
                result = reader.Read(sequence, new ImapServerOptions().ReadLimits(authenticated: true));
            Assert.Equal(ImapReadStatus.Command, result.Status);
            Assert.True(result.Command!.Arguments[0].TryGetAString(out var back));
            Assert.Equal(value, back);
        }
    }
}
