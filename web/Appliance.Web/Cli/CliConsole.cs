namespace Appliance.Web.Cli;

/// <summary>The CLI's standard streams, replaceable in tests.</summary>
internal sealed class CliConsole(TextReader input, TextWriter output, TextWriter error, bool inputRedirected, Func<Stream>? openInput = null)
{
    /// <summary>Standard input as bytes (a message for `sendmail` may be in any 8-bit charset).</summary>
    public Stream OpenInput() => openInput?.Invoke() ?? new MemoryStream(global::System.Text.Encoding.UTF8.GetBytes(In.ReadToEnd()));

    public TextReader In { get; } = input;
    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>True when stdin is a pipe or file: secrets are then read as one line from it.</summary>
    public bool InputRedirected { get; } = inputRedirected;

    public static CliConsole System => new(Console.In, Console.Out, Console.Error, Console.IsInputRedirected, Console.OpenStandardInput);

    /// <summary>
    /// Reads a new password: from stdin when it is redirected (one line), else from the terminal
    /// twice without echo. Passwords never come from argv, where `ps` and shell history show them.
    /// </summary>
    public string? ReadNewPassword(string address)
    {
        if (InputRedirected)
            return In.ReadLine();
        string first = ReadHidden($"New password for {address}: ");
        string second = ReadHidden("Repeat the password: ");
        if (first != second)
        {
            Error.WriteLine("appliance: error: the two passwords differ; nothing was changed.");
            return null;
        }
        return first;
    }

    private string ReadHidden(string prompt)
    {
        Out.Write(prompt);
        Out.Flush();
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                    text.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar))
                text.Append(key.KeyChar);
        }
        Out.WriteLine();
        return text.ToString();
    }
}
