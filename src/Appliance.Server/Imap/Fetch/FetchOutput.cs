// RFC 9051 section 4.3 (literal = "{" number64 "}" CRLF *CHAR8) and RFC 3516 section 4.2 (literal8 =
// "~{" number64 "}" CRLF *OCTET): message content goes to the client as literals streamed from the
// file in chunks, with the output flushed as it fills, so a 50 MB message never sits in memory.
using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Appliance.Server.Imap.Fetch;

/// <summary>
/// The connection's output during one FETCH: raw octets between <see cref="ImapResponseWriter"/>
/// tokens, literal content copied from files, and flushes whenever enough is buffered (the
/// flush waits while the client is not reading: Kestrel's back-pressure).
/// </summary>
internal sealed class FetchOutput(PipeWriter output, Func<ValueTask<FlushResult>> flush)
{
    public FetchOutput(ImapSession session)
        : this(session.Connection.Output, session.FlushAsync)
    {
    }

    /// <summary>Read size for message files, and the unflushed amount that makes us flush: 64 KB, the MIME parser's chunk size.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>
    /// The least room asked of the writer per copy step: the tail of a buffer with less room is left
    /// unused (at most this much per buffer). Our choice: a few lines of text, small beside the 4 KB
    /// and 16 KB buffers the plain and TLS writers hand out.
    /// </summary>
    private const int SmallestCopy = 512;

    private readonly PipeWriter _output = output;
    private long _unflushed;

    /// <summary>
    /// Text the MIME library wrote in IMAP syntax (ENVELOPE, BODYSTRUCTURE), after a space: UTF-8,
    /// whose literals "{n}" already count UTF-8 octets.
    /// </summary>
    public void WriteSyntax(string imapText)
    {
        int written = Encoding.UTF8.GetByteCount(imapText) + 1;
        var span = _output.GetSpan(written);
        span[0] = (byte)' ';
        Encoding.UTF8.GetBytes(imapText, span[1..]);
        _output.Advance(written);
        _unflushed += written;
    }

    public void Write(ReadOnlySpan<byte> octets)
    {
        _output.Write(octets);
        _unflushed += octets.Length;
    }

    /// <summary>
    /// Copies <paramref name="count"/> octets of <paramref name="source"/> from its current place;
    /// fewer is an error (the literal was announced). With <paramref name="nulAs80"/> each NUL becomes
    /// 0x80: a literal holds CHAR8 (RFC 9051 4.3), which excludes NUL, and its length must not change.
    /// The source is a message file (or a decoder over one) and is read synchronously: a FileStream
    /// opened without FileOptions.Asynchronous serves ReadAsync by queueing a synchronous read to the
    /// thread pool, a hop per read that costs more than the read from the page cache itself.
    /// </summary>
    public async ValueTask CopyAsync(Stream source, long count, bool nulAs80 = false)
    {
        while (count > 0)
        {
            // A small hint lets the writer hand out the rest of its current buffer, so the literals of
            // many small messages share buffers (and, under TLS, records and sends); asking for a whole
            // chunk would start a new buffer for every message.
            var memory = _output.GetMemory((int)Math.Min(count, SmallestCopy));
            int want = (int)Math.Min(count, Math.Min(memory.Length, ChunkSize));
            int read = source.Read(memory.Span[..want]);
            if (read == 0)
                throw new IOException("A message file ended before the octets its structure promised.");
            if (nulAs80)
                memory.Span[..read].Replace((byte)0, (byte)0x80);
            _output.Advance(read);
            _unflushed += read;
            count -= read;
            await FlushIfFullAsync();
        }
    }

    /// <summary>Skips <paramref name="count"/> octets of a stream that cannot seek (decoded content before a partial's origin); read synchronously, as in <see cref="CopyAsync"/>.</summary>
    public static void Skip(Stream source, long count)
    {
        var buffer = new byte[(int)Math.Min(count, ChunkSize)];
        while (count > 0)
        {
            int read = source.Read(buffer.AsSpan(0, (int)Math.Min(count, buffer.Length)));
            if (read == 0)
                throw new IOException("Decoded content ended before the octets its size promised.");
            count -= read;
        }
    }

    /// <summary>Flushes once a chunk's worth is buffered; the session ends (IOException) when the client has gone.</summary>
    public async ValueTask FlushIfFullAsync()
    {
        // The response writer's tokens go to the same pipe: count them too where the pipe can say.
        long pending = _output.CanGetUnflushedBytes ? _output.UnflushedBytes : _unflushed;
        if (pending < ChunkSize)
            return;
        _unflushed = 0;
        var result = await flush();
        if (result.IsCompleted || result.IsCanceled)
            throw new IOException("The client stopped reading during FETCH.");
    }
}
