// RFC 9051 (IMAP4rev2): section 3 (states), 5.4 (autologout timer), 7.1.1 (greeting with OK and a
// CAPABILITY response code), 7.1.5 (BYE), 7.5 (continuation requests for literals); section 6.1-6.3
// commands dispatched by state (ImapCommandTable). RFC 3501 for rev1 clients. RFC 7888 (LITERAL+ /
// LITERAL-): the reader's limits change at login.
using System.Buffers;
using System.IO.Pipelines;
using Appliance.Server.Accounts;
using Appliance.Server.Imap.Commands;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Imap;

/// <summary>
/// One IMAP connection: reads commands with one <see cref="ImapCommandReader"/>, advancing the
/// connection's input in one place; checks each against the state table; runs it (Commands/, one
/// file per command); writes responses, flushed before each wait for input.
/// </summary>
internal sealed partial class ImapSession
{
    private readonly MailConnection _connection;
    private readonly ImapEngine _engine;
    private readonly ImapCommandReader _reader = new();
    private bool _mustWait = true;
    private bool _closing;
    private int _errors;

    public ImapSession(MailConnection connection, ImapEngine engine)
    {
        _connection = connection;
        _engine = engine;
    }

    public MailConnection Connection => _connection;
    public ImapEngine Engine => _engine;
    public ImapServerOptions Options => _engine.Options;
    public ILogger Logger => _engine.Logger;
    public ImapState State { get; private set; } = ImapState.NotAuthenticated;
    public AuthenticatedUser? User { get; private set; }

    /// <summary>The logged-in user's store account (shared by all sessions of the user in this process).</summary>
    public MailAccount? Account { get; private set; }

    /// <summary>Extensions turned on by ENABLE (RFC 5161), by their capability name as advertised.</summary>
    public HashSet<string> Enabled { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int FailedLogins { get; set; }

    /// <summary>8-bit UTF-8 may be sent in quoted strings: IMAP4rev2 (RFC 9051 section 4.3) or UTF8=ACCEPT (RFC 6855 section 3) enabled.</summary>
    public bool Utf8Enabled => Enabled.Contains(CapabilityCommand.Imap4Rev2) || Enabled.Contains(CapabilityCommand.Utf8Accept);

    /// <summary>No password is accepted in cleartext (RFC 9051 section 6.2.3 LOGINDISABLED; RFC 8314).</summary>
    public bool LoginAllowed => _connection.IsSecure;

    /// <summary>A writer on the current output (it changes at STARTTLS, so one per response).</summary>
    public ImapResponseWriter Respond() => new(_connection.Output) { Utf8Quoted = Utf8Enabled };

    public async Task RunAsync()
    {
        try
        {
            // RFC 9051 7.1.1: the greeting, with the capabilities so that clients need not ask.
            Respond().Status(null, ImapStatus.Ok, "CAPABILITY " + CapabilityCommand.List(this), "Appliance IMAP server ready");
            while (!_closing)
            {
                if (await NextInputAsync() is not { } input)
                    return;
                var buffer = input.Buffer;
                var result = _reader.Read(buffer, Options.ReadLimits(authenticated: State != ImapState.NotAuthenticated));
                if (result.Status == ImapReadStatus.NeedMore)
                {
                    _connection.Input.AdvanceTo(result.Consumed, result.Examined);
                    _mustWait = true;
                    if (input.IsCompleted || input.IsCanceled)
                        return;
                    continue;
                }
                if (result.Status == ImapReadStatus.LiteralData)
                {
                    // APPEND's message, streamed: stored by APPEND in a later increment, dropped here
                    // (the command is answered NO [CANNOT] once it is complete).
                    Advance(result.Consumed);
                    continue;
                }
                // Every other result has Examined == Consumed, except NeedContinuation, where nothing is
                // consumed and the reader wants the same buffer again: advance to Consumed only, so the
                // next read returns what is buffered at once.
                Advance(result.Consumed);
                switch (result.Status)
                {
                    case ImapReadStatus.NeedContinuation:
                        // RFC 9051 7.5: the client sends a synchronizing literal's octets only after this.
                        Respond().Continuation("Ready for literal data");
                        break;
                    case ImapReadStatus.LiteralStart:
                        LogLiteralStreamed(Logger, result.Command!.Name, result.LiteralSize);
                        break;
                    case ImapReadStatus.Error:
                        Respond().ReadError(result);
                        if (ImapReadErrors.Reply(result.Error).Status == ImapStatus.Bad)
                            CountError();
                        break;
                    case ImapReadStatus.Command:
                        await ExecuteAsync(result.Command!);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, or the server is stopping during a login delay.
        }
        finally
        {
            try
            {
                await _connection.Output.FlushAsync();
            }
            catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // Closing on a client that is gone.
            }
        }
    }

    private async ValueTask ExecuteAsync(ImapCommand command)
    {
        var verb = ImapCommandTable.Parse(command.Name);
        if (verb == ImapVerb.Unknown)
        {
            Bad(command.Tag, "Unknown command");
            return;
        }
        if (!ImapCommandTable.IsAllowed(State, verb))
        {
            // RFC 9051 section 6: a command outside its state is BAD, with a text saying why.
            Bad(command.Tag, WrongState(verb, command.Name));
            return;
        }
        switch (verb)
        {
            case ImapVerb.Capability: CapabilityCommand.Execute(this, command); break;
            case ImapVerb.Noop: NoopCommand.Execute(this, command); break;
            case ImapVerb.Logout: LogoutCommand.Execute(this, command); break;
            case ImapVerb.Id: IdCommand.Execute(this, command); break;
            case ImapVerb.StartTls: await StartTlsCommand.ExecuteAsync(this, command); break;
            case ImapVerb.Login: await LoginCommand.ExecuteAsync(this, command); break;
            case ImapVerb.Authenticate: await AuthenticateCommand.ExecuteAsync(this, command); break;
            case ImapVerb.Enable: EnableCommand.Execute(this, command); break;
            case ImapVerb.Namespace: NamespaceCommand.Execute(this, command); break;
            case ImapVerb.List: ListCommand.Execute(this, command); break;
            case ImapVerb.Lsub: LsubCommand.Execute(this, command); break;
            case ImapVerb.Create: CreateCommand.Execute(this, command); break;
            case ImapVerb.Delete: DeleteCommand.Execute(this, command); break;
            case ImapVerb.Rename: RenameCommand.Execute(this, command); break;
            case ImapVerb.Subscribe: SubscribeCommand.Execute(this, command); break;
            case ImapVerb.Unsubscribe: UnsubscribeCommand.Execute(this, command); break;
            case ImapVerb.Status: StatusCommand.Execute(this, command); break;
            default:
                // Allowed in this state but not built yet (SELECT, LIST, APPEND ...): refused, not a client error.
                No(command.Tag, "CANNOT", $"{command.Name} is not available yet");
                break;
        }
    }

    private string WrongState(ImapVerb verb, string name) => State switch
    {
        ImapState.NotAuthenticated => $"{name} is not allowed before login",
        _ when ImapCommandTable.IsAllowed(ImapState.NotAuthenticated, verb) => $"{name} is not allowed after login",
        _ => $"{name} needs a selected mailbox; SELECT or EXAMINE one first",
    };

    public void Ok(string tag, string text, string? code = null) => Respond().Status(tag, ImapStatus.Ok, code, text);

    public void No(string tag, string? code, string text) => Respond().Status(tag, ImapStatus.No, code, text);

    /// <summary>"tag BAD text", counted toward <see cref="ImapServerOptions.MaxErrors"/>.</summary>
    public void Bad(string tag, string text, bool countsAsError = true)
    {
        Respond().Status(tag, ImapStatus.Bad, null, text);
        if (countsAsError)
            CountError();
    }

    private void CountError()
    {
        if (++_errors >= Options.MaxErrors && !_closing)
        {
            LogTooManyErrors(Logger, _errors);
            Close("Too many errors");
        }
    }

    /// <summary>RFC 9051 7.1.5: "* BYE text", then the connection is closed.</summary>
    public void Close(string text)
    {
        Respond().Status(null, ImapStatus.Bye, null, text);
        State = ImapState.Logout;
        _closing = true;
    }

    /// <summary>The session ends without another word (a failed STARTTLS handshake).</summary>
    public void EndSession()
    {
        State = ImapState.Logout;
        _closing = true;
    }

    /// <summary>RFC 9051 3.2: LOGIN or AUTHENTICATE succeeded.</summary>
    public void EnterAuthenticated(AuthenticatedUser user, MailAccount account)
    {
        User = user;
        Account = account;
        State = ImapState.Authenticated;
    }

    public ValueTask<FlushResult> FlushAsync() => _connection.Output.FlushAsync();

    /// <summary>After STARTTLS the input is a new pipe over TLS: wait for it.</summary>
    public void ResetAfterTls() => _mustWait = true;

    private void Advance(SequencePosition consumed)
    {
        _connection.Input.AdvanceTo(consumed);
        _mustWait = false;
    }

    /// <summary>
    /// What is buffered past the last result, or (after flushing responses) a fresh read with the
    /// state's autologout timer (RFC 9051 5.4: shorter before login). Null when the session ends
    /// (the goodbye for a timeout or shutdown was said, or the client closed).
    /// </summary>
    private async ValueTask<ReadResult?> NextInputAsync()
    {
        if (!_mustWait && _connection.Input.TryRead(out var buffered))
        {
            if (buffered.Buffer.IsEmpty && (buffered.IsCompleted || buffered.IsCanceled))
            {
                _connection.Input.AdvanceTo(buffered.Buffer.End);
                return null;
            }
            return buffered;
        }
        await _connection.Output.FlushAsync();
        TimeSpan? timeout = State == ImapState.NotAuthenticated && Options.AutologoutBeforeLogin < _connection.IdleTimeout
            ? Options.AutologoutBeforeLogin
            : null;
        var timed = await _connection.ReadAsync(timeout);
        if (timed.IsInterrupted)
        {
            State = ImapState.Logout;
            await _connection.SayGoodbyeAsync(timed.Interruption);
            return null;
        }
        if (timed.Result.Buffer.IsEmpty && (timed.Result.IsCompleted || timed.Result.IsCanceled))
        {
            _connection.Input.AdvanceTo(timed.Result.Buffer.End);
            return null;
        }
        return timed.Result;
    }

    /// <summary>
    /// One line inside a command: an AUTHENTICATE response (RFC 9051 6.2.2: base64 or "*", CRLF),
    /// read as a plain line, not as a command. Null when the session ended, or when the line was
    /// too long (answered "tag BAD").
    /// </summary>
    public async Task<string?> ReadContinuationLineAsync(string tag)
    {
        while (true)
        {
            if (await NextInputAsync() is not { } read)
            {
                _closing = true;
                return null;
            }
            var buffer = read.Buffer;
            var status = CommandLineReader.TryRead(buffer, Options.MaxCommandLineLength, out var line, out var next);
            if (status == LineStatus.Complete)
            {
                string text = System.Text.Encoding.Latin1.GetString(line.ToArray());
                Advance(next);
                return text;
            }
            if (status == LineStatus.TooLong)
            {
                if (await SkipLineAsync(buffer))
                    Bad(tag, "Response line too long");
                return null;
            }
            _connection.Input.AdvanceTo(buffer.Start, buffer.End);
            _mustWait = true;
            if (read.IsCompleted || read.IsCanceled)
            {
                _closing = true;
                return null;
            }
        }
    }

    /// <summary>Discards an overlong line up to its LF without buffering it; false when the session ended first.</summary>
    private async Task<bool> SkipLineAsync(ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (CommandLineReader.TrySkipLine(buffer, out var next))
            {
                Advance(next);
                return true;
            }
            _connection.Input.AdvanceTo(buffer.End);
            _mustWait = true;
            if (await NextInputAsync() is not { } read)
            {
                _closing = true;
                return false;
            }
            buffer = read.Buffer;
        }
    }

    [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "IMAP session reached {Errors} errors; disconnected")]
    private static partial void LogTooManyErrors(ILogger logger, int errors);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Debug, Message = "IMAP {Command} streams a literal of {Size} octets")]
    private static partial void LogLiteralStreamed(ILogger logger, string command, long size);
}
