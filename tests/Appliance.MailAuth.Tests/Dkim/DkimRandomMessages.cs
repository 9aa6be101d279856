using System.Text;

namespace Appliance.MailAuth.Tests.Dkim;

/// <summary>Messages with whitespace in awkward places (runs, tabs, folds, trailing blanks), from a fixed seed.</summary>
internal static class DkimRandomMessages
{
    private static readonly string[] Words = ["dinner", "ready", "game", "lost", "Joe", "hungry", "yet", "x", "é", "--"];

    private static string Space(Random random) => random.Next(6) switch
    {
        0 => "  ",
        1 => "\t",
        2 => " \t ",
        _ => " ",
    };

    private static string Text(Random random, int words, bool fold)
    {
        StringBuilder text = new();
        for (int i = 0; i < words; i++)
        {
            if (i > 0)
            {
                text.Append(fold && random.Next(4) == 0 ? "\r\n" + (random.Next(2) == 0 ? "\t" : " ") : Space(random));
            }
            text.Append(Words[random.Next(Words.Length)]);
        }
        return text.ToString();
    }

    public static string Create(Random random)
    {
        StringBuilder message = new();
        message.Append("From:" + Space(random) + "Joe <joe@example.com>" + (random.Next(2) == 0 ? " " : "") + "\r\n");
        message.Append("To: suzie@example.net\r\n");
        message.Append("Subject:" + Space(random) + Text(random, 1 + random.Next(8), fold: true) + (random.Next(3) == 0 ? "\t" : "") + "\r\n");
        message.Append("X-Unsigned: " + Text(random, 3, fold: false) + "\r\n");
        message.Append("\r\n");
        int lines = random.Next(8);
        for (int i = 0; i < lines; i++)
        {
            message.Append(random.Next(4) == 0 ? "" : Space(random).Trim('\t') + Text(random, random.Next(6), fold: false) + (random.Next(3) == 0 ? Space(random) : ""));
            message.Append("\r\n");
        }
        if (random.Next(3) == 0)
        {
            message.Append("\r\n\r\n");
        }
        return message.ToString();
    }
}
