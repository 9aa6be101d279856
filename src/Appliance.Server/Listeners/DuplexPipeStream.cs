using System.Buffers;
using System.IO.Pipelines;

namespace Appliance.Server.Listeners;

/// <summary>
/// The connection's raw pipes as a <see cref="Stream"/>, for an <see cref="System.Net.Security.SslStream"/>
/// to run over after STARTTLS. Reads take exactly what the pipe holds, so no byte is lost or read
/// twice. Disposing it does not complete the pipes: Kestrel owns and completes them.
/// </summary>
internal sealed class DuplexPipeStream(PipeReader input, PipeWriter output) : Stream
{
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var readable = result.Buffer;
            if (!readable.IsEmpty)
            {
                int count = (int)Math.Min(readable.Length, buffer.Length);
                var slice = readable.Slice(0, count);
                slice.CopyTo(buffer.Span);
                input.AdvanceTo(slice.End);
                return count;
            }
            input.AdvanceTo(readable.End);
            if (result.IsCompleted || result.IsCanceled)
                return 0;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken) =>
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);

    // SslStream uses only the asynchronous members when driven asynchronously, as our callers do;
    // blocking a Kestrel thread on network I/O is what these overloads would otherwise invite.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
