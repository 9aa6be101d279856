// RFC 1939 (POP3): section 3 (sessions, states, "+OK"/"-ERR", multi-line responses ending in "."
// with byte-stuffing), 4-6 (states); RFC 2449 (CAPA, response codes, 255-octet commands,
// PIPELINING); RFC 2595 section 4 (STLS); RFC 3206 (SYS/TEMP, SYS/PERM, AUTH codes); RFC 5034 (AUTH).
using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Appliance.Server.Accounts;
using Appliance.Server.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Pop3;

/// <summary>
/// One POP3 connection: reads command lines (never a partial one), checks them against the state
/// table, runs them (Commands/, one file per command) and writes replies, flushed before each
/// wait for input (RFC 2449 PIPELINING).
/// </summary>
internal sealed partial class Pop3Session
{
    private readonly MailConnection _connection;
    private readonly Pop3Engine _engine;
    private readonly LineInput _input;
    private bool _closing;
    private int _errors;

    public Pop3Session(MailConnection connection, Pop3Engine engine)
    {
        _connection = connection;
        _engine = engine;
        _input = new LineInput(connection, async () => await _connection.Output.FlushAsync());
    }

    public MailConnection Connection => _connection;
    public Pop3Engine Engine => _engine;
    public Pop3ServerOptions Options => _engine.Options;
    public ILogger Logger => _engine.Logger;
    public Pop3State State { get; set; } = Pop3State.Authorization;

    /// <summary>The name given by USER, waiting for PASS.</summary>
    public string? PendingUser { get; set; }

    public AuthenticatedUser? User { get; set; }

    /// <summary>
    /// RETR/TOP's read and byte-stuffing buffers, made once per session: allocated per message
    /// they were ~130 KB each time, on the large-object heap (the POP3 benchmark saw it).
    /// </summary>
    public (byte[] Input, byte[] Output) RetrBuffers => _retrBuffers ??= (new byte[RetrBlock], new byte[Delivery.Outbound.DotStuffingWriter.MaxOutput(RetrBlock)]);

    private (byte[] Input, byte[] Output)? _retrBuffers;

    /// <summary>16 KB blocks: the stuffed output (at most three times the input) stays under the 85,000-octet large-object threshold.</summary>
    private const int RetrBlock = 16 * 1024;
    public Pop3Maildrop? Maildrop { get; set; }
    public int AuthFailures { get; set; }

    /// <summary>No password is accepted in cleartext (RFC 2595 section 2.1 and our rule): USER, PASS and AUTH need TLS.</summary>
    public bool LoginAllowed => _connection.IsSecure;

    public async Task RunAsync()
    {
        try
        {
            // RFC 1939 4: the greeting. No APOP timestamp: APOP (MD5 of a shared secret) is not offered.
            await WriteLineAsync("+OK Appliance POP3 server ready");
            while (!_closing)
            {
                var read = await _input.ReadAsync();
                if (read is not { } result)
                    return;
                var buffer = result.Buffer;
                var status = CommandLineReader.TryRead(buffer, Options.MaxCommandLineLength, out var line, out var next);
                if (status == LineStatus.Incomplete)
                {
                    if (result.IsCompleted || result.IsCanceled)
                        return;
                    _input.WaitForMore(buffer);
                    continue;
                }
                if (status == LineStatus.TooLong)
                {
                    if (!await _input.SkipLongLineAsync(buffer))
                        return;
                    await ErrorAsync($"Command line too long (RFC 2449 allows {Options.MaxCommandLineLength} octets)");
                    continue;
                }
                bool valid = Utf8.IsValid(line.IsSingleSegment ? line.FirstSpan : line.ToArray());
                string text = valid ? Encoding.UTF8.GetString(line) : "";
                _input.Advance(next);
                if (!valid)
                {
                    await ErrorAsync("Command is not valid UTF-8");
                    continue;
                }
                await ExecuteAsync(text);
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away: without QUIT there is no UPDATE state, so nothing is deleted (RFC 1939 6).
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

    private async Task ExecuteAsync(string line)
    {
        int space = line.IndexOf(' ');
        var verb = Pop3CommandTable.Parse(space < 0 ? line : line.AsSpan(0, space));
        string argument = space < 0 ? "" : line[(space + 1)..];
        if (verb == Pop3Verb.Unknown)
        {
            await ErrorAsync("Unknown command");
            return;
        }
        if (!Pop3CommandTable.IsAllowed(State, verb))
        {
            await ErrorAsync(State == Pop3State.Authorization ? "Log in first" : "Already logged in");
            return;
        }
        switch (verb)
        {
            case Pop3Verb.Capa: await CapaCommand.ExecuteAsync(this); break;
            case Pop3Verb.Stls: await StlsCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.User: await UserCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.Pass: await PassCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.Auth: await AuthCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.Apop: await ErrorAsync("APOP is not supported; use USER/PASS or AUTH PLAIN over TLS"); break;
            case Pop3Verb.Stat: await StatCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.List: await ListCommand.ExecuteAsync(this, argument, uniqueIds: false); break;
            case Pop3Verb.Uidl: await ListCommand.ExecuteAsync(this, argument, uniqueIds: true); break;
            case Pop3Verb.Top: await RetrCommand.ExecuteAsync(this, argument, top: true); break;
            case Pop3Verb.Retr: await RetrCommand.ExecuteAsync(this, argument, top: false); break;
            case Pop3Verb.Dele: await DeleCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.Rset: await RsetCommand.ExecuteAsync(this, argument); break;
            case Pop3Verb.Noop: await WriteLineAsync("+OK"); break;
            case Pop3Verb.Quit: await QuitCommand.ExecuteAsync(this); break;
        }
    }

    /// <summary>Parses a message-number argument (RFC 1939 5: a decimal, 1-based, not deleted); replies -ERR itself when it is not one.</summary>
    public async ValueTask<int?> MessageNumberAsync(string text)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number) || number < 1)
        {
            await ErrorAsync("Syntax: a message number is expected");
            return null;
        }
        if (Maildrop!.IsDeleted(number))
        {
            await ErrorAsync($"Message {number} is already deleted");
            return null;
        }
        if (Maildrop.Get(number) is null)
        {
            await ErrorAsync($"No such message: {number}");
            return null;
        }
        return number;
    }

    /// <summary>
    /// Writes one line (CRLF added) into the output buffer; it is sent before the next wait for
    /// input (PipeWriter.WriteAsync would flush, one send per line of a 10,000-line UIDL).
    /// </summary>
    public ValueTask WriteLineAsync(string line)
    {
        var output = _connection.Output;
        int length = Encoding.UTF8.GetByteCount(line);
        var span = output.GetSpan(length + 2);
        Encoding.UTF8.GetBytes(line, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        output.Advance(length + 2);
        return ValueTask.CompletedTask;
    }

    /// <summary>"-ERR text"; client errors count toward <see cref="Pop3ServerOptions.MaxErrors"/>.</summary>
    public async ValueTask ErrorAsync(string text, bool countsAsError = true)
    {
        await WriteLineAsync("-ERR " + text);
        if (countsAsError && ++_errors >= Options.MaxErrors)
        {
            LogTooManyErrors(Logger, _errors);
            await CloseAsync("-ERR Too many errors, closing connection");
        }
    }

    public async ValueTask CloseAsync(string lastLine)
    {
        _closing = true;
        await WriteLineAsync(lastLine);
        await _connection.Output.FlushAsync();
    }

    public void EndSession() => _closing = true;

    public ValueTask<System.IO.Pipelines.FlushResult> FlushAsync() => _connection.Output.FlushAsync();

    /// <summary>After STLS: the input is a new pipe.</summary>
    public void ResetAfterTls() => _input.ResetAfterTls();

    /// <summary>One more line inside a command (an AUTH continuation); null when the session ended or the line was bad (answered).</summary>
    public async Task<string?> ReadContinuationLineAsync()
    {
        // RFC 5034 section 4: the 255-octet command limit does not bind SASL responses.
        var (line, tooLong) = await _input.ReadLineAsync(MaxSaslResponseLength);
        if (_input.Ended)
            _closing = true;
        if (tooLong)
            await ErrorAsync("Line too long");
        return line;
    }

    /// <summary>An AUTH PLAIN response with the longest user name and password we accept (AccountService.MaxPasswordLength) fits in 4 KB of base64.</summary>
    private const int MaxSaslResponseLength = 4096;

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "POP3 session reached {Errors} errors; disconnected")]
    private static partial void LogTooManyErrors(ILogger logger, int errors);
}
