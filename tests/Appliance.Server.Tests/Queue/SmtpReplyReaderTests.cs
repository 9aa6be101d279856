using System.Text;
using Appliance.Server.Delivery.Outbound;

namespace Appliance.Server.Tests.Queue;

/// <summary>RFC 5321 4.2.1 reply parsing, with the caps on line length and line count.</summary>
public sealed class SmtpReplyReaderTests
{
    private static SmtpReplyReader Reader(string text, int maxLine = 2048, int maxLines = 100) =>
        new(new MemoryStream(Encoding.UTF8.GetBytes(text)), maxLine, maxLines);

    [Fact]
    public async Task Multi_line_replies_keep_every_line_and_the_enhanced_code()
    {
        var reader = Reader("250-mx.example greets you\r\n250-PIPELINING\r\n250 SIZE 1000\r\n550 5.1.1 <x@y>: no such user\r\n");
        var ehlo = await reader.ReadAsync(default);
        Assert.Equal(250, ehlo.Code);
        Assert.Equal(["mx.example greets you", "PIPELINING", "SIZE 1000"], ehlo.Lines);
        var refusal = await reader.ReadAsync(default);
        Assert.Equal(550, refusal.Code);
        Assert.Equal("5.1.1", refusal.EnhancedStatus);
        Assert.True(refusal.IsPermanent);
        Assert.Equal("550 5.1.1 <x@y>: no such user", refusal.ToString());
    }

    [Theory]
    [InlineData("250\r\n", 250, null)]
    [InlineData("451 4.7.1 greylisted\n", 451, "4.7.1")]
    [InlineData("550 4.1.1 class does not match\r\n", 550, null)]
    [InlineData("250 2.1.5.3 too many parts\r\n", 250, null)]
    public async Task Codes_and_enhanced_codes_are_read_strictly(string text, int code, string? enhanced)
    {
        var reply = await Reader(text).ReadAsync(default);
        Assert.Equal(code, reply.Code);
        Assert.Equal(enhanced, reply.EnhancedStatus);
    }

    [Theory]
    [InlineData("25 short\r\n")]
    [InlineData("250-first\r\n251 second\r\n")]
    [InlineData("250_bad separator\r\n")]
    [InlineData("650 out of range\r\n")]
    [InlineData("250-never ends\r\n")]
    public async Task Malformed_or_cut_replies_are_protocol_errors(string text)
    {
        await Assert.ThrowsAsync<SmtpProtocolException>(() => Reader(text).ReadAsync(default));
    }

    [Fact]
    public async Task Too_long_lines_and_too_many_lines_are_refused()
    {
        await Assert.ThrowsAsync<SmtpProtocolException>(() => Reader("250 " + new string('x', 100) + "\r\n", maxLine: 64).ReadAsync(default));
        string many = string.Concat(Enumerable.Repeat("250-x\r\n", 5)) + "250 end\r\n";
        await Assert.ThrowsAsync<SmtpProtocolException>(() => Reader(many, maxLines: 5).ReadAsync(default));
        Assert.Equal(6, (await Reader(many, maxLines: 6).ReadAsync(default)).Lines.Count);
    }

    [Fact]
    public async Task Replies_split_one_octet_per_read_parse_the_same()
    {
        var stream = new OneByteStream(Encoding.ASCII.GetBytes("250-a\r\n250 b\r\n"));
        var reply = await new SmtpReplyReader(stream, 2048, 100).ReadAsync(default);
        Assert.Equal(["a", "b"], reply.Lines);
    }

    private sealed class OneByteStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
