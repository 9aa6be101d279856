using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>
/// Golden corpus: each Corpus/{rfc,legacy,malformed}/NAME.eml has its expected summary in
/// NAME.summary. On a mismatch the actual summary is written beside it as NAME.summary.actual, so a
/// deliberate change is reviewed with a diff and accepted by renaming the file.
/// </summary>
public sealed class CorpusTests
{
    public static TheoryData<string> Messages()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(CorpusDirectory(), "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(CorpusDirectory(), file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Summary_matches_the_expected_file(string message)
    {
        string path = Path.Combine(CorpusDirectory(), message);
        string expectedPath = Path.ChangeExtension(path, ".summary");
        string actualPath = expectedPath + ".actual";
        using FileStream stream = File.OpenRead(path);

        string actual = Render(MessageSummary.Read(stream));

        string? expected = File.Exists(expectedPath) ? File.ReadAllText(expectedPath) : null;
        if (actual == expected)
        {
            File.Delete(actualPath);
            return;
        }
        File.WriteAllText(actualPath, actual);
        Assert.Fail($"{message}: summary differs from {Path.GetFileName(expectedPath)}; actual written to {actualPath}");
    }

    private static string Render(MessageSummary summary) => new StringBuilder()
        .Append("Date: ").AppendLine(summary.Date?.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) ?? "(none)")
        .Append("From: ").AppendLine(summary.From)
        .Append("To: ").AppendLine(summary.To)
        .Append("Subject: ").AppendLine(summary.Subject)
        .Append("MessageId: ").AppendLine(summary.MessageId ?? "(none)")
        .Append("HasAttachment: ").AppendLine(summary.HasAttachment ? "yes" : "no")
        .Append("Preview: ").AppendLine(summary.Preview)
        .ToString();

    internal static string CorpusDirectory([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Corpus");
}
