using System.Text;

namespace Appliance.Mime;

internal static class Text
{
    /// <summary>Runs of whitespace and control characters become one space; ends trimmed. For one-line display.</summary>
    public static string Collapse(string text)
    {
        var result = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = result.Length > 0;
                continue;
            }
            if (space)
            {
                result.Append(' ');
                space = false;
            }
            result.Append(c);
        }
        return result.ToString();
    }
}
