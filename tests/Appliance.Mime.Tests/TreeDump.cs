using System.Globalization;
using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>A readable text dump of a part tree, for golden files: one line per entity, indented by depth.</summary>
internal static class TreeDump
{
    public static string Render(MimeEntity root)
    {
        var text = new StringBuilder();
        var pending = new Stack<(MimeEntity Entity, int Depth)>();
        pending.Push((root, 0));
        while (pending.Count > 0)
        {
            (MimeEntity e, int depth) = pending.Pop();
            text.Append(' ', depth * 2)
                .Append(e.PartNumber.Length == 0 ? "-" : e.PartNumber)
                .Append(e.IsMessage ? " message " : " ")
                .Append(e.MediaType).Append('/').Append(e.MediaSubtype);
            foreach (string name in new[] { "charset", "name", "boundary" })
            {
                if (e.GetContentTypeParameter(name) is { } value)
                {
                    text.Append(' ').Append(name).Append("=\"").Append(value).Append('"');
                }
            }
            text.Append(' ').Append(e.TransferEncoding);
            text.Append(CultureInfo.InvariantCulture, $" header={e.HeaderStart} body={e.BodyStart}-{e.BodyEnd} size={e.BodySize} lines={e.BodyLines}");
            if (e.BodyBareLineFeeds > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" bare-lf={e.BodyBareLineFeeds}");
            }
            if (e.Disposition is { } disposition)
            {
                text.Append(" disposition=").Append(disposition);
            }
            if (e.FileName is { } file)
            {
                text.Append(" file=\"").Append(file).Append('"');
            }
            if (e.ContentId is { } id)
            {
                text.Append(" id=").Append(id);
            }
            if (e.Problems != MimeProblems.None)
            {
                text.Append(" problems=").Append(e.Problems.ToString().Replace(", ", "|", StringComparison.Ordinal));
            }
            text.Append('\n');
            for (int i = e.Children.Count - 1; i >= 0; i--)
            {
                pending.Push((e.Children[i], depth + 1));
            }
        }
        return text.ToString();
    }
}
