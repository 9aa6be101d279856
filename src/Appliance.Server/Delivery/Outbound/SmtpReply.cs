using System.Text;

namespace Appliance.Server.Delivery.Outbound;

// RFC 5321 section 4.2 (reply syntax and codes), RFC 2034 / RFC 3463 (enhanced status codes).

/// <summary>
/// One SMTP reply, possibly multi-line (RFC 5321 4.2.1), or one we made up for a local failure
/// (connection refused, timeout, peer lacks SMTPUTF8) with <see cref="FromPeer"/> false.
/// </summary>
/// <param name="EnhancedStatus">"5.1.1" when the first line carries an enhanced status code (RFC 2034 4) whose class matches the reply code, else null.</param>
/// <param name="Lines">The text of each line after the code and separator.</param>
internal sealed record SmtpReply(int Code, string? EnhancedStatus, IReadOnlyList<string> Lines, bool FromPeer = true)
{
    /// <summary>2xx and 3xx (RFC 5321 4.2.1: positive completion and intermediate).</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>4xx: transient negative completion (RFC 5321 4.2.1), retry later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>5xx: permanent negative completion (RFC 5321 4.2.1).</summary>
    public bool IsPermanent => Code >= 500;

    /// <summary>The reply on one line, as Postfix logs it: "550 5.1.1 <a@b>: user unknown".</summary>
    public override string ToString()
    {
        string text = string.Join(" ", Lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        if (EnhancedStatus is not null && !text.StartsWith(EnhancedStatus, StringComparison.Ordinal))
            text = EnhancedStatus + " " + text;
        return $"{Code} {text}".TrimEnd();
    }

    /// <summary>The enhanced status for a DSN: the peer's, else one derived from the class (RFC 3463 3.1: x.0.0).</summary>
    public string Status => EnhancedStatus ?? $"{Math.Clamp(Code / 100, 2, 5)}.0.0";

    /// <summary>A reply we make ourselves for an outcome no peer gave (never sent on the wire).</summary>
    public static SmtpReply Local(int code, string enhancedStatus, string text) => new(code, enhancedStatus, [enhancedStatus + " " + text], FromPeer: false);

    public static SmtpReply Create(int code, IReadOnlyList<string> lines) => new(code, ParseEnhancedStatus(code, lines.Count > 0 ? lines[0] : ""), lines);

    /// <summary>RFC 3463 2: class "." subject "." detail, class 2, 4 or 5 matching the reply's first digit; subject and detail 1-3 digits.</summary>
    internal static string? ParseEnhancedStatus(int code, string line)
    {
        int end = line.IndexOf(' ');
        string token = end < 0 ? line : line[..end];
        string[] parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length != 1 || parts[0][0] - '0' != code / 100 || parts[0][0] is not ('2' or '4' or '5'))
            return null;
        foreach (string part in parts.AsSpan(1))
        {
            if (part.Length is < 1 or > 3 || !part.All(char.IsAsciiDigit))
                return null;
        }
        return token;
    }
}

/// <summary>The peer broke the protocol (malformed or oversized reply) or closed the connection.</summary>
internal sealed class SmtpProtocolException(string message) : IOException(message);

/// <summary>
/// Reads replies from a stream with its own buffer, so that after STARTTLS's 220 the client can
/// see (and drop) anything the server sent ahead of the TLS handshake (RFC 3207 4.2).
/// </summary>
internal sealed class SmtpReplyReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private readonly int _maxLines;
    private int _start;
    private int _end;

    public SmtpReplyReader(Stream stream, int maxLineLength, int maxLines)
    {
        _stream = stream;
        _buffer = new byte[maxLineLength];
        _maxLines = maxLines;
    }

    /// <summary>Octets received but not yet read as a reply.</summary>
    public int Buffered => _end - _start;

    /// <summary>
    /// RFC 5321 4.2.1: every line but the last has "-" after the code, the last a space (or
    /// nothing); all lines carry the same code. More lines than the cap, a line longer than the
    /// buffer, or a malformed line is a <see cref="SmtpProtocolException"/>.
    /// </summary>
    public async Task<SmtpReply> ReadAsync(CancellationToken ct)
    {
        var lines = new List<string>();
        int code = -1;
        while (true)
        {
            string line = await ReadLineAsync(ct);
            if (line.Length < 3 || !char.IsAsciiDigit(line[0]) || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2])
                || line[0] is < '2' or > '5')
                throw new SmtpProtocolException($"Malformed reply line: {Truncate(line)}");
            int lineCode = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
            if (code >= 0 && lineCode != code)
                throw new SmtpProtocolException($"Reply code changed within a multi-line reply: {code} then {lineCode}.");
            code = lineCode;
            char separator = line.Length > 3 ? line[3] : ' ';
            if (separator is not (' ' or '-'))
                throw new SmtpProtocolException($"Malformed reply line: {Truncate(line)}");
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (separator == ' ')
                return SmtpReply.Create(code, lines);
            if (lines.Count >= _maxLines)
                throw new SmtpProtocolException($"Reply longer than {_maxLines} lines.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        int scanned = _start;
        while (true)
        {
            int lf = Array.IndexOf(_buffer, (byte)'\n', scanned, _end - scanned);
            if (lf >= 0)
            {
                int length = lf - _start;
                if (length > 0 && _buffer[lf - 1] == '\r')
                    length--;
                // Replies are ASCII, or UTF-8 after SMTPUTF8 (RFC 6531 3.7.4); anything else is shown, not trusted.
                string line = Encoding.UTF8.GetString(_buffer, _start, length);
                _start = lf + 1;
                return line;
            }
            scanned = _end;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                scanned -= _start;
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
                throw new SmtpProtocolException($"Reply line longer than {_buffer.Length} octets.");
            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (read == 0)
                throw new SmtpProtocolException("The server closed the connection.");
            _end += read;
        }
    }

    private static string Truncate(string line) => line.Length <= 80 ? line : line[..80] + "...";
}
