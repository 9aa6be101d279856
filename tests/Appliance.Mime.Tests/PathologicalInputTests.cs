using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>
/// Hostile structures complete with bounded work: the assertions are on counts and shapes that only
/// a bounded parse produces (parts capped, depth capped, header capped), not on wall-clock time.
/// </summary>
public sealed class PathologicalInputTests
{
    [Fact]
    public void A_million_tiny_parts_are_capped_by_the_parts_limit()
    {
        byte[] message = Build("Content-Type: multipart/mixed; boundary=b\r\n\r\n", "--b\r\n", 1_000_000, "");

        MimeEntity root = MimeParser.Parse(new MemoryStream(message));

        Assert.Equal(MimeLimits.Default.MaxParts - 1, root.Children.Count);
        Assert.True(root.Problems.HasFlag(MimeProblems.TooManyParts));
        Assert.Equal(message.Length, root.BodyEnd);
        Assert.Equal("9999", root.Children[^1].PartNumber);
        TreeInvariants.Check(root, message.Length);
    }

    [Fact]
    public void Deeply_nested_multiparts_stop_at_the_depth_limit()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 10_000; i++)
        {
            text.Append("Content-Type: multipart/mixed; boundary=\"b").Append(i).Append("\"\r\n\r\n--b").Append(i).Append("\r\n");
        }
        byte[] message = Encoding.ASCII.GetBytes(text.ToString());

        MimeEntity root = MimeParser.Parse(message);

        (int depth, MimeEntity deepest) = Deepest(root);
        Assert.Equal(MimeLimits.Default.MaxDepth, depth);
        Assert.True(deepest.Problems.HasFlag(MimeProblems.TooDeep));
        Assert.Equal(message.Length, deepest.BodyEnd);
        TreeInvariants.Check(root, message.Length);
    }

    [Fact]
    public void Deeply_nested_messages_stop_at_the_depth_limit()
    {
        byte[] message = Build("", "Content-Type: message/rfc822\r\n\r\n", 100_000, "Subject: innermost\r\n\r\nbody");

        MimeEntity root = MimeParser.Parse(message);

        (int depth, MimeEntity deepest) = Deepest(root);
        Assert.Equal(MimeLimits.Default.MaxDepth, depth);
        Assert.True(deepest.Problems.HasFlag(MimeProblems.TooDeep));
        Assert.Equal(string.Join(".", Enumerable.Repeat("1", 100)), deepest.PartNumber);
    }

    [Fact]
    public void A_50_MB_folded_header_is_capped_by_the_header_limit()
    {
        byte[] message = Build("Subject: x\r\n", " y\r\n", 50 * 1024 * 1024 / 4, "\r\nbody");

        MimeEntity root = MimeParser.Parse(new MemoryStream(message));

        Assert.True(root.Header.Problems.HasFlag(HeaderProblems.TooLarge));
        Assert.Single(root.Header);
        Assert.Equal(message.Length - 4, root.BodyStart);
        Assert.Equal(4, root.BodySize);
        Assert.Equal(0, root.BodyLines);
    }

    [Fact]
    public void Base64_full_of_garbage_decodes_what_is_there()
    {
        byte[] payload = new byte[300_000];
        new Random(7).NextBytes(payload);
        string encoded = Convert.ToBase64String(payload);
        var body = new StringBuilder();
        for (int i = 0; i < encoded.Length; i += 3)
        {
            body.Append(encoded.AsSpan(i, Math.Min(3, encoded.Length - i))).Append("!\r\n*~ \t");
        }
        byte[] message = Encoding.ASCII.GetBytes("Content-Transfer-Encoding: base64\r\nContent-Type: application/octet-stream\r\n\r\n" + body);
        using var raw = new MemoryStream(message);
        MimeEntity root = MimeParser.Parse(raw);

        using Stream content = root.OpenContentStream(raw);
        using var decoded = new MemoryStream();
        content.CopyTo(decoded);

        Assert.Equal(payload, decoded.ToArray());
    }

    [Fact]
    public void Boundaries_that_are_prefixes_of_each_other_nest_correctly()
    {
        const int levels = 50;
        var text = new StringBuilder();
        for (int i = 1; i <= levels; i++)
        {
            string boundary = new('a', i);
            text.Append("Content-Type: multipart/mixed; boundary=\"").Append(boundary).Append("\"\r\n\r\n--").Append(boundary).Append("\r\n");
        }
        text.Append("\r\nleaf\r\n");
        for (int i = levels; i >= 1; i--)
        {
            text.Append("--").Append(new string('a', i)).Append("--\r\n");
        }
        byte[] message = Encoding.ASCII.GetBytes(text.ToString());

        MimeEntity root = MimeParser.Parse(message);

        (int depth, MimeEntity deepest) = Deepest(root);
        Assert.Equal(levels + 1, depth);
        Assert.Equal("text", deepest.MediaType);
        Assert.Equal(4, deepest.BodySize);
        for (MimeEntity? e = deepest.Parent; e is not null; e = e.Parent)
        {
            Assert.Single(e.Children);
            Assert.Equal(MimeProblems.None, e.Problems);
        }
        TreeInvariants.Check(root, message.Length);
    }

    [Fact]
    public void Custom_limits_apply()
    {
        byte[] message = Build("Content-Type: multipart/mixed; boundary=b\r\n\r\n", "--b\r\n\r\nx\r\n", 100, "--b--\r\n");

        MimeEntity root = MimeParser.Parse(message, new MimeLimits { MaxParts = 10 });

        Assert.Equal(9, root.Children.Count);
        Assert.True(root.Problems.HasFlag(MimeProblems.TooManyParts));
    }

    private static (int Depth, MimeEntity Deepest) Deepest(MimeEntity root)
    {
        int depth = 1;
        MimeEntity e = root;
        while (e.Children.Count > 0)
        {
            e = e.Children[^1];
            depth++;
        }
        return (depth, e);
    }

    private static byte[] Build(string head, string repeated, int count, string tail)
    {
        byte[] h = Encoding.ASCII.GetBytes(head), r = Encoding.ASCII.GetBytes(repeated), t = Encoding.ASCII.GetBytes(tail);
        byte[] message = new byte[h.Length + r.Length * count + t.Length];
        h.CopyTo(message, 0);
        for (int i = 0; i < count; i++)
        {
            r.CopyTo(message, h.Length + i * r.Length);
        }
        t.CopyTo(message, h.Length + r.Length * count);
        return message;
    }
}
