using System.Buffers;

namespace Appliance.Server.Smtp;

/// <summary>
/// Holds a message while it arrives: in memory up to <see cref="MemoryLimit"/>, then in a
/// temporary file that deletes itself. Not durable and not meant to be: 250 is sent only after
/// the store or the queue has its own fsynced copy.
/// </summary>
internal sealed class MessageBuffer : IDisposable
{
    /// <summary>
    /// Messages up to 1 MB stay in memory: most mail is far smaller (the median is tens of KB), so
    /// they never touch the disk twice; 20 connections then hold at most 20 MB.
    /// </summary>
    public const int MemoryLimit = 1024 * 1024;

    private readonly string _spillDirectory;
    private byte[] _memory = [];
    private int _memoryLength;
    private FileStream? _file;
    private bool _disposed;

    /// <param name="spillDirectory">Where a large message is written; created when first needed.</param>
    public MessageBuffer(string spillDirectory) => _spillDirectory = spillDirectory;

    public long Length { get; private set; }

    public bool IsInMemory => _file is null;

    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.IsEmpty)
            return;
        if (_file is null && _memoryLength + data.Length <= MemoryLimit)
        {
            EnsureCapacity(_memoryLength + data.Length);
            data.CopyTo(_memory.AsSpan(_memoryLength));
            _memoryLength += data.Length;
        }
        else
        {
            if (_file is null)
                Spill();
            _file!.Write(data);
        }
        Length += data.Length;
    }

    public void Write(in ReadOnlySequence<byte> data)
    {
        foreach (var segment in data)
            Write(segment.Span);
    }

    /// <summary>Forgets the content (RSET, a new transaction) but keeps the memory for reuse.</summary>
    public void Clear()
    {
        _memoryLength = 0;
        Length = 0;
        _file?.Dispose();
        _file = null;
    }

    /// <summary>A read-only view of the content from the start; the buffer must not be written while it is open.</summary>
    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_file is null)
            return new MemoryStream(_memory, 0, _memoryLength, writable: false);
        _file.Flush();
        return new SpillReader(_file, Length);
    }

    /// <summary>The whole content in memory (DKIM verification needs it); a spilled message is read back.</summary>
    public ReadOnlyMemory<byte> ToMemory()
    {
        if (_file is null)
            return _memory.AsMemory(0, _memoryLength);
        var all = new byte[Length];
        using var reader = OpenRead();
        reader.ReadExactly(all);
        return all;
    }

    /// <summary>The first bytes (at most <paramref name="max"/>), for reading the header.</summary>
    public ReadOnlySpan<byte> Head(int max)
    {
        // A spilled message keeps the bytes it had in memory before it spilled as its head.
        return _memory.AsSpan(0, Math.Min(max, _memoryLength));
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _memory.Length)
            return;
        int size = Math.Max(needed, Math.Min(MemoryLimit, Math.Max(16 * 1024, _memory.Length * 2)));
        var bigger = new byte[size];
        _memory.AsSpan(0, _memoryLength).CopyTo(bigger);
        _memory = bigger;
    }

    private void Spill()
    {
        Directory.CreateDirectory(_spillDirectory);
        string path = Path.Combine(_spillDirectory, Guid.NewGuid().ToString("N"));
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        _file.Write(_memory, 0, _memoryLength);
        // The in-memory copy stays as the head (Head() reads headers from it).
    }

    public void Dispose()
    {
        _disposed = true;
        _file?.Dispose();
        _file = null;
    }

    /// <summary>Reads the spill file from its start without moving the writer's position.</summary>
    private sealed class SpillReader(FileStream file, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int wanted = (int)Math.Min(buffer.Length, length - _position);
            if (wanted <= 0)
                return 0;
            int read = RandomAccess.Read(file.SafeFileHandle, buffer[..wanted], _position);
            _position += read;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => length + offset,
            };
            return _position;
        }

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
