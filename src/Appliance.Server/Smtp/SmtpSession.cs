// RFC 5321 (SMTP): section 3.1 (session initiation), 4.1.4 (order of commands), 4.2 (replies),
// 4.5.3.2 (timeouts); RFC 2920 (pipelining); RFC 3207 (STARTTLS).
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Unicode;
using Appliance.Server.Accounts;
using Appliance.Server.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Smtp;

/// <summary>
/// One SMTP connection: reads command lines from the connection's pipe (never consuming a partial
/// line), checks each against the state table, runs it (Commands/, one file per command), and
/// writes replies. Replies are buffered while more pipelined commands are already here and
/// flushed before the session waits for input (RFC 2920 section 3.2).
/// </summary>
internal sealed partial class SmtpSession
{
    private readonly MailConnection _connection;
    private readonly SmtpEngine _engine;
    private readonly LineInput _input;
    private bool _closing;
    private int _errors;

    public SmtpSession(MailConnection connection, SmtpEngine engine)
    {
        _connection = connection;
        _engine = engine;
        _input = new LineInput(connection, async () => await FlushAsync());
        Buffer = new MessageBuffer(engine.SpillDirectory);
    }

    public MailConnection Connection => _connection;

    public SmtpEngine Engine => _engine;

    public SmtpServerOptions Options => _engine.Options;

    public ILogger Logger => _engine.Logger;

    public SmtpState State { get; set; } = SmtpState.Connected;

    /// <summary>The HELO/EHLO argument, or null before it.</summary>
    public string? HeloName { get; set; }

    /// <summary>The client said EHLO (so ESMTP extensions apply), not HELO.</summary>
    public bool Extended { get; set; }

    public AuthenticatedUser? User { get; set; }

    public SmtpTransaction? Transaction { get; set; }

    /// <summary>The message being received; reused across transactions.</summary>
    public MessageBuffer Buffer { get; }

    public int UnknownRecipients { get; set; }

    public int AuthFailures { get; set; }

    /// <summary>Port 25: mail from the world for our domains; no AUTH.</summary>
    public bool IsMx => _connection.Kind == ListenerKind.Smtp;

    /// <summary>AUTH may be offered now: a submission port, and TLS is up (RFC 4954 section 4 and our rule: no password in cleartext).</summary>
    public bool AuthAvailable => !IsMx && _connection.IsSecure;

    public string Hostname => _connection.Hostname;

    public string ListenerName => _connection.Kind switch
    {
        ListenerKind.Smtp => "smtp",
        ListenerKind.Submission => "submission",
        _ => "smtps",
    };

    public string ClientAddress => _connection.RemoteAddress?.ToString() ?? "unknown";

    public async Task RunAsync()
    {
        try
        {
            if (!await GreetAsync())
                return;
            while (!_closing)
            {
                var read = await ReadAsync();
                if (read is not { } result)
                    return;
                var buffer = result.Buffer;
                var status = CommandLineReader.TryRead(buffer, Options.MaxCommandLineLength, out var line, out var next);
                if (status == LineStatus.Incomplete)
                {
                    if (result.IsCompleted || result.IsCanceled)
                        return;
                    WaitForMore(buffer);
                    continue;
                }
                if (status == LineStatus.TooLong)
                {
                    if (!await SkipLongLineAsync(buffer))
                        return;
                    await ReplyAsync(new SmtpReply(500, "5.5.2", $"Line too long (the limit is {Options.MaxCommandLineLength} octets)"));
                    continue;
                }

                bool moreBuffered = !buffer.Slice(next).IsEmpty;
                bool valid = Utf8.IsValid(line.IsSingleSegment ? line.FirstSpan : line.ToArray());
                string text = valid ? Encoding.UTF8.GetString(line) : "";
                Advance(next);
                if (!valid)
                {
                    await ReplyAsync(new SmtpReply(500, "5.5.2", "Command is not valid UTF-8"));
                    continue;
                }
                await ExecuteAsync(text, moreBuffered);
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away mid-command; nothing was acknowledged that is not durable.
        }
        finally
        {
            LogAbandoned();
            try
            {
                await FlushAsync();
            }
            catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // Closing on a client that is gone.
            }
            Buffer.Dispose();
        }
    }

    /// <summary>
    /// The banner (RFC 5321 3.1, 4.3.1). On port 25, a client that sends anything before it is not
    /// a real MTA (postscreen's "PREGREET"): 554 and close. With <see cref="SmtpServerOptions.GreetPause"/>
    /// we wait that long first to catch it.
    /// </summary>
    private async Task<bool> GreetAsync()
    {
        bool early;
        if (Options.GreetPause > TimeSpan.Zero && IsMx)
        {
            var wait = await _connection.ReadAsync(Options.GreetPause);
            if (wait.Interruption == ReadInterruption.ShuttingDown)
            {
                await _connection.SayGoodbyeAsync(wait.Interruption);
                return false;
            }
            early = !wait.IsInterrupted && !wait.Result.Buffer.IsEmpty;
            if (!wait.IsInterrupted)
                _connection.Input.AdvanceTo(wait.Result.Buffer.Start);
        }
        else if (IsMx)
        {
            early = _connection.Input.TryRead(out var ready) && !ready.Buffer.IsEmpty;
            if (early)
                _connection.Input.AdvanceTo(ready.Buffer.Start);
        }
        else
        {
            // Submission clients are our own users' programs; some send EHLO as soon as TLS is up.
            early = false;
        }
        if (early)
        {
            LogPregreet(Logger);
            await WriteAndFlushAsync(new SmtpReply(554, "5.5.0", $"{Hostname} Protocol error: you spoke before my greeting"));
            return false;
        }
        await WriteAndFlushAsync(new SmtpReply(220, null, $"{Hostname} ESMTP Appliance"));
        return true;
    }

    private async Task ExecuteAsync(string line, bool moreBuffered)
    {
        int space = line.IndexOf(' ');
        var verb = SmtpCommandTable.Parse(space < 0 ? line : line.AsSpan(0, space));
        string argument = space < 0 ? "" : line[(space + 1)..];

        // RFC 2920 3.1: a client must wait for the reply to these before sending more, and one that
        // did not ask for pipelining (HELO) may never send ahead. Postfix refuses "improper command
        // pipelining" from unauthenticated clients the same way; it is how smuggling and
        // STARTTLS-injection attempts look.
        if (moreBuffered && User is null && verb != SmtpVerb.Quit && verb != SmtpVerb.Bdat
            && (SmtpCommandTable.EndsPipelineGroup(verb) || !Extended))
        {
            LogImproperPipelining(Logger, verb.ToString().ToUpperInvariant());
            await CloseAsync(new SmtpReply(554, "5.5.0", $"{Hostname} Improper command pipelining after {verb.ToString().ToUpperInvariant()}"));
            return;
        }

        // BDAT's chunk follows the command at once: it is read before any refusal (RFC 3030 3),
        // so BdatCommand checks the state table itself.
        if (verb == SmtpVerb.Bdat)
        {
            await BdatCommand.ExecuteAsync(this, argument);
            return;
        }
        if (verb == SmtpVerb.Unknown)
        {
            await ReplyAsync(SmtpReply.Unrecognized);
            return;
        }
        if (!SmtpCommandTable.IsAllowed(State, verb))
        {
            await ReplyAsync(SequenceError(verb));
            return;
        }

        switch (verb)
        {
            case SmtpVerb.Helo: await HeloCommand.ExecuteAsync(this, argument, extended: false); break;
            case SmtpVerb.Ehlo: await HeloCommand.ExecuteAsync(this, argument, extended: true); break;
            case SmtpVerb.Mail: await MailCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Rcpt: await RcptCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Data: await DataCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Bdat: await BdatCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Rset: await RsetCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Noop: await ReplyAsync(SmtpReply.Ok()); break;
            case SmtpVerb.Quit: await QuitCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Vrfy: await VrfyCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Expn: await ReplyAsync(new SmtpReply(502, "5.5.1", "EXPN is not available")); break;
            case SmtpVerb.Help: await HelpCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.StartTls: await StartTlsCommand.ExecuteAsync(this, argument); break;
            case SmtpVerb.Auth: await AuthCommand.ExecuteAsync(this, argument); break;
        }
    }

    private SmtpReply SequenceError(SmtpVerb verb) => (verb, State) switch
    {
        (SmtpVerb.Mail or SmtpVerb.StartTls or SmtpVerb.Auth, SmtpState.Connected) => SmtpReply.BadSequence($"Send EHLO first"),
        (SmtpVerb.Mail, _) => SmtpReply.BadSequence("Nested MAIL command: one transaction at a time (RSET first)"),
        (SmtpVerb.Rcpt, _) => SmtpReply.BadSequence("Need MAIL before RCPT"),
        (SmtpVerb.Data or SmtpVerb.Bdat, SmtpState.Connected or SmtpState.Ready) => SmtpReply.BadSequence("Need MAIL and RCPT before DATA"),
        (SmtpVerb.StartTls or SmtpVerb.Auth, _) => SmtpReply.BadSequence($"{verb.ToString().ToUpperInvariant()} is not allowed inside a mail transaction"),
        (_, SmtpState.Chunking) => SmtpReply.BadSequence("Only BDAT, RSET, NOOP or QUIT may follow a BDAT without LAST"),
        _ => SmtpReply.BadSequence(),
    };

    /// <summary>Forgets the transaction (RSET, EHLO, after the end of data), logging it if it was refused and never finished.</summary>
    public void ResetTransaction()
    {
        LogAbandoned();
        Transaction = null;
        Buffer.Clear();
        if (State != SmtpState.Connected)
            State = SmtpState.Ready;
    }

    /// <summary>
    /// A transaction that ends without an end of data (RSET, QUIT, a dropped connection) after a
    /// refusal goes into the delivery log with that refusal, so the admin sees refused relaying,
    /// unknown recipients and the like, not only accepted mail.
    /// </summary>
    private void LogAbandoned()
    {
        if (Transaction is not { Logged: false, LastRefusal: { } refusal } transaction)
            return;
        transaction.Logged = true;
        RecordRefusal(transaction.ReversePath.Mailbox, transaction.Attempted, refusal);
    }

    /// <summary>Records a refused transaction (also a refused MAIL, which never became one).</summary>
    public void RecordRefusal(string? reversePath, IReadOnlyList<string> recipients, SmtpReply reply) =>
        _engine.Log.Record(new Delivery.SmtpTransactionRecord(
            _engine.Time.GetUtcNow(), ListenerName, ClientAddress, HeloName, _connection.Tls?.ToString(), User?.Address,
            reversePath, recipients.ToList(), 0, reply.Code, reply.ToString(), null));

    // ---- Replies ----------------------------------------------------------------------------

    /// <summary>
    /// Buffers a reply (flushed before the session next waits for input). Client errors (4xx/5xx
    /// other than our own 451) count toward <see cref="SmtpServerOptions.MaxErrors"/>; at the limit
    /// the session ends with 421 (RFC 5321 3.8).
    /// </summary>
    public async ValueTask ReplyAsync(SmtpReply reply, bool countsAsError = true)
    {
        // Write, not WriteAsync: PipeWriter.WriteAsync also flushes, one send per reply. Replies to
        // pipelined commands go out together when the session next waits for input.
        _connection.Output.Write(reply.Encode());
        if (reply.Code >= 400 && Transaction is { } transaction)
            transaction.LastRefusal = reply;
        if (reply.Code >= 400 && countsAsError && reply.Enhanced != "4.3.0")
        {
            _errors++;
            if (_errors >= Options.MaxErrors)
            {
                LogTooManyErrors(Logger, _errors);
                await CloseAsync(new SmtpReply(421, "4.7.0", $"{Hostname} Too many errors, closing connection"));
            }
        }
    }

    /// <summary>Writes a reply and sends it, with anything buffered before it, now.</summary>
    public async ValueTask WriteAndFlushAsync(SmtpReply reply)
    {
        await _connection.Output.WriteAsync(reply.Encode());
    }

    public ValueTask<FlushResult> FlushAsync() => _connection.Output.FlushAsync();

    /// <summary>Sends a last reply and ends the session.</summary>
    public async ValueTask CloseAsync(SmtpReply reply)
    {
        _closing = true;
        await WriteAndFlushAsync(reply);
    }

    public bool IsClosing => _closing;

    /// <summary>After STARTTLS the input is a new pipe: wait for it.</summary>
    public void MarkInputAfterTls() => _input.ResetAfterTls();

    public void EndSession() => _closing = true;

    // ---- Input ------------------------------------------------------------------------------

    /// <summary>The next input; null when the session must end (the goodbye, if any, was said).</summary>
    public async ValueTask<ReadResult?> ReadAsync(TimeSpan? idleTimeout = null)
    {
        var result = await _input.ReadAsync(idleTimeout);
        if (_input.Ended)
            _closing = true;
        return result;
    }

    /// <inheritdoc cref="LineInput.Advance"/>
    public void Advance(SequencePosition consumed) => _input.Advance(consumed);

    /// <inheritdoc cref="LineInput.WaitForMore"/>
    public void WaitForMore(in ReadOnlySequence<byte> buffer, bool consumeAll = false) => _input.WaitForMore(buffer, consumeAll);

    private async Task<bool> SkipLongLineAsync(ReadOnlySequence<byte> buffer)
    {
        bool skipped = await _input.SkipLongLineAsync(buffer);
        if (_input.Ended)
            _closing = true;
        return skipped;
    }

    /// <summary>
    /// Reads one more line for an exchange inside a command (an AUTH continuation). Null when the
    /// session ended or the line was too long (already answered).
    /// </summary>
    public async Task<string?> ReadContinuationLineAsync()
    {
        var (line, tooLong) = await _input.ReadLineAsync(Options.MaxCommandLineLength);
        if (_input.Ended)
            _closing = true;
        if (tooLong)
            await ReplyAsync(new SmtpReply(500, "5.5.2", "Line too long"));
        return line;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "SMTP client spoke before the greeting; refused")]
    private static partial void LogPregreet(ILogger logger);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "SMTP improper pipelining after {Command}; disconnected")]
    private static partial void LogImproperPipelining(ILogger logger, string command);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "SMTP session reached {Errors} errors; disconnected")]
    private static partial void LogTooManyErrors(ILogger logger, int errors);
}
