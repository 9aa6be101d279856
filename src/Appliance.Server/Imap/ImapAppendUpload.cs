// RFC 9051 section 6.3.12 (APPEND) and 4.3 (literals): a message literal too large to hold in memory
// arrives as chunks (ImapReadStatus.LiteralData) and goes straight into the store's tmp/ file through
// a pipe, so a 50 MB APPEND costs a pipe's worth of memory. The message is committed only when the
// whole command has been read and checked: until then the store waits for the end of its input.
using System.Buffers;
using System.IO.Pipelines;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap;

/// <summary>An answer decided before it can be sent (a streamed APPEND is refused at its start, answered at its end).</summary>
internal sealed record ImapRefusal(ImapStatus Status, string? Code, string Text);

/// <summary>
/// The streamed literal of one APPEND: either piped into <see cref="MailAccount.AppendAsync"/>, or
/// (refused at its start) read and dropped. The session writes each chunk, then completes it with the
/// command, or aborts it when the command fails or the connection ends; an aborted append leaves
/// nothing in the store (its tmp/ file is deleted by AppendAsync).
/// </summary>
internal sealed class ImapAppendUpload
{
    /// <summary>
    /// The pipe's backpressure: the session stops reading the socket while the store is this far
    /// behind. Kestrel's own input pauses at 1 MB (SocketTransportOptions.MaxReadBufferSize); the same here.
    /// </summary>
    private const long PauseWriterThreshold = 1024 * 1024;

    private readonly Pipe? _pipe;
    private readonly Task<AppendResult>? _append;

    private ImapAppendUpload(ImapRefusal refusal) => Refusal = refusal;

    private ImapAppendUpload(MailAccount account, string mailbox, MessageFlags flags, IReadOnlyList<string> keywords, DateTimeOffset? date)
    {
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PauseWriterThreshold, resumeWriterThreshold: PauseWriterThreshold / 2, useSynchronizationContext: false));
        _append = AppendAsync(account, _pipe.Reader, mailbox, flags, keywords, date);
    }

    /// <summary>Set when the message will not be stored: the answer to give once the command is complete.</summary>
    public ImapRefusal? Refusal { get; private set; }

    /// <summary>A literal read only to be dropped; the command is answered with <paramref name="refusal"/>.</summary>
    public static ImapAppendUpload Refused(ImapRefusal refusal) => new(refusal);

    /// <summary>Starts the store's append, reading the message from the chunks to come.</summary>
    public static ImapAppendUpload Start(MailAccount account, string mailbox, MessageFlags flags, IReadOnlyList<string> keywords, DateTimeOffset? date) =>
        new(account, mailbox, flags, keywords, date);

    private static async Task<AppendResult> AppendAsync(MailAccount account, PipeReader reader, string mailbox, MessageFlags flags, IReadOnlyList<string> keywords, DateTimeOffset? date)
    {
        await Task.Yield(); // the session goes on reading the socket; the store reads the pipe
        // Disposing the stream completes the reader, so a store failure releases a writer waiting on backpressure.
        await using var message = reader.AsStream();
        return await account.AppendAsync(mailbox, message, flags, keywords, date).ConfigureAwait(false);
    }

    /// <summary>One chunk of the literal (valid only until the session advances its input, so copied here).</summary>
    public async ValueTask WriteAsync(ReadOnlySequence<byte> data)
    {
        if (_pipe is null || Refusal is not null)
            return;
        foreach (var segment in data)
            _pipe.Writer.Write(segment.Span);
        var flushed = await _pipe.Writer.FlushAsync();
        if (flushed.IsCompleted)
        {
            // The store stopped reading: it failed; the rest of the literal is dropped and the failure told at the end.
            Refusal = await FailureAsync();
        }
    }

    /// <summary>The command is complete and valid: the store may commit the message.</summary>
    public async Task<AppendResult> CompleteAsync()
    {
        if (_pipe is null || _append is null)
            throw new InvalidOperationException("A refused upload has no message.");
        await _pipe.Writer.CompleteAsync();
        return await _append;
    }

    /// <summary>Turns the upload into a refused one (the rest of the literal is dropped), discarding what was written.</summary>
    public async ValueTask RefuseAsync(ImapRefusal refusal)
    {
        await AbortAsync();
        Refusal ??= refusal;
    }

    /// <summary>
    /// The command failed or the connection ended: the store drops its tmp/ file and nothing is appended.
    /// After <see cref="CompleteAsync"/> it only waits for the store (completing a pipe twice does nothing).
    /// </summary>
    public async ValueTask AbortAsync()
    {
        if (_pipe is null || _append is null)
            return;
        await _pipe.Writer.CompleteAsync(new OperationCanceledException("The APPEND command was not completed."));
        try
        {
            await _append;
        }
        catch (Exception)
        {
            // Expected (the store saw the aborted input, or had failed already, and kept nothing); and
            // whatever else it failed with, the command is answered or the connection gone already.
        }
    }

    private async Task<ImapRefusal> FailureAsync()
    {
        try
        {
            await _append!;
            return new ImapRefusal(ImapStatus.No, "SERVERBUG", "The message could not be stored");
        }
        catch (MailboxNotFoundException)
        {
            return new ImapRefusal(ImapStatus.No, "TRYCREATE", "No such mailbox");
        }
        catch (Exception e) when (e is MailStoreException or IOException)
        {
            return new ImapRefusal(ImapStatus.No, "SERVERBUG", "The message could not be stored");
        }
    }
}
