using System.IO.Pipelines;
using Appliance.Server.Imap.Fetch;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>
/// How FETCH's literal content reaches the connection's writer: intact, and packed into the writer's
/// buffers, so a FETCH of many small messages becomes a few writes (under TLS: a few records and
/// sends) rather than one per message.
/// </summary>
public sealed class FetchOutputTests
{
    /// <summary>A stream that keeps every write it is given, as SslStream would receive them from the connection's writer.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    [Fact]
    public async Task The_literals_of_many_small_messages_share_the_writers_buffers()
    {
        var sink = new RecordingStream();
        // The writer the TLS transport uses: 16 KB buffers, one TLS record each.
        var writer = PipeWriter.Create(sink, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
        var output = new FetchOutput(writer, () => writer.FlushAsync());
        var messages = Enumerable.Range(0, 20).Select(i => Enumerable.Range(0, 600).Select(j => (byte)('a' + (i + j) % 26)).ToArray()).ToList();

        foreach (var message in messages)
        {
            output.Write("* FETCH {600}\r\n"u8);
            await output.CopyAsync(new MemoryStream(message), message.Length);
        }
        await writer.FlushAsync();

        var expected = messages.SelectMany(m => "* FETCH {600}\r\n"u8.ToArray().Concat(m)).ToArray();
        Assert.Equal(expected, sink.ToArray());
        Assert.Single(sink.Writes); // 12 KB in one buffer; one buffer per message would make 20 writes
    }

    [Fact]
    public async Task A_message_larger_than_a_buffer_is_copied_whole_across_buffers_and_flushes()
    {
        var sink = new RecordingStream();
        var writer = PipeWriter.Create(sink, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
        int flushes = 0;
        var output = new FetchOutput(writer, () => { flushes++; return writer.FlushAsync(); });
        var message = Enumerable.Range(0, 300_000).Select(i => (byte)(1 + i % 250)).ToArray();
        message[1000] = 0;

        await output.CopyAsync(new MemoryStream(message), message.Length, nulAs80: true);
        await writer.FlushAsync();

        message[1000] = 0x80; // a literal holds no NUL (RFC 9051 4.3); the length stays
        Assert.Equal(message, sink.ToArray());
        Assert.True(flushes >= 300_000 / FetchOutput.ChunkSize, $"{flushes} flushes");
        Assert.All(sink.Writes, length => Assert.True(length <= 16 * 1024));
    }
}
