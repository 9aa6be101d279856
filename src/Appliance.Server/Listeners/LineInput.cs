using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Appliance.Server.Listeners;

/// <summary>
/// The input side of a line-oriented session (SMTP, POP3): reads the connection's pipe with the
/// idle timeout, flushing pending replies before every wait (RFC 2920 3.2: replies may be held
/// only while more commands are already here), and advances it in one place.
/// </summary>
internal sealed class LineInput(MailConnection connection, Func<ValueTask> flushPending)
{
    private bool _mustWait = true;

    /// <summary>The read was interrupted (idle timeout or shutdown; the goodbye was said) or the client closed.</summary>
    public bool Ended { get; private set; }

    /// <summary>
    /// The next input: what is already buffered past the last complete command, or (after flushing
    /// pending replies) a fresh read. Null when the session must end (see <see cref="Ended"/>).
    /// </summary>
    public async ValueTask<ReadResult?> ReadAsync(TimeSpan? idleTimeout = null)
    {
        if (!_mustWait && connection.Input.TryRead(out var buffered))
            return buffered;
        await flushPending();
        var timed = await connection.ReadAsync(idleTimeout);
        if (timed.IsInterrupted)
        {
            Ended = true;
            await connection.SayGoodbyeAsync(timed.Interruption);
            return null;
        }
        if (timed.Result.Buffer.IsEmpty && timed.Result.IsCompleted)
        {
            Ended = true;
            connection.Input.AdvanceTo(timed.Result.Buffer.End);
            return null;
        }
        return timed.Result;
    }

    /// <summary>Consumed up to <paramref name="consumed"/>; what follows may be read again at once.</summary>
    public void Advance(SequencePosition consumed)
    {
        connection.Input.AdvanceTo(consumed);
        _mustWait = false;
    }

    /// <summary>Everything in <paramref name="buffer"/> was looked at: the next read waits for new bytes.</summary>
    public void WaitForMore(in ReadOnlySequence<byte> buffer, bool consumeAll = false)
    {
        connection.Input.AdvanceTo(consumeAll ? buffer.End : buffer.Start, buffer.End);
        _mustWait = true;
    }

    /// <summary>After STARTTLS/STLS the input is a new pipe: wait for it.</summary>
    public void ResetAfterTls() => _mustWait = true;

    /// <summary>
    /// Reads one line inside a command (a SASL response), as ASCII without its CRLF. Null when the
    /// session must end (<see cref="Ended"/>, or the client closed mid-line) or when the line was
    /// longer than <paramref name="maxLength"/> (<paramref name="tooLong"/> is then true and the
    /// line has been skipped; the caller answers it).
    /// </summary>
    public async Task<(string? Line, bool TooLong)> ReadLineAsync(int maxLength)
    {
        while (true)
        {
            if (await ReadAsync() is not { } result)
                return (null, false);
            var buffer = result.Buffer;
            var status = CommandLineReader.TryRead(buffer, maxLength, out var line, out var next);
            if (status == LineStatus.Complete)
            {
                string text = Encoding.ASCII.GetString(line);
                Advance(next);
                return (text, false);
            }
            if (status == LineStatus.TooLong)
                return (null, await SkipLongLineAsync(buffer));
            if (result.IsCompleted)
            {
                Ended = true;
                return (null, false);
            }
            WaitForMore(buffer);
        }
    }

    /// <summary>
    /// Discards an overlong command line, from <paramref name="buffer"/> (where it starts) up to
    /// and including its LF, reading more as needed but never keeping more than one read's worth.
    /// False when the session ended first.
    /// </summary>
    public async Task<bool> SkipLongLineAsync(ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (CommandLineReader.TrySkipLine(buffer, out var next))
            {
                Advance(next);
                return true;
            }
            WaitForMore(buffer, consumeAll: true);
            var read = await ReadAsync();
            if (read is not { } result)
                return false;
            buffer = result.Buffer;
            if (buffer.IsEmpty && result.IsCompleted)
                return false;
        }
    }
}
