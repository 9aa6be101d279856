namespace Appliance.Mime.Tests;

/// <summary>
/// Golden part trees: each Corpus/{rfc,legacy,malformed}/NAME.eml has its expected tree dump in
/// NAME.tree (part numbers, types, offsets, sizes, lines, dispositions). On a mismatch the actual dump
/// is written beside it as NAME.tree.actual.
/// </summary>
public sealed class TreeCorpusTests
{
    [Theory]
    [MemberData(nameof(CorpusTests.Messages), MemberType = typeof(CorpusTests))]
    public void Tree_matches_the_expected_file(string message)
    {
        string path = Path.Combine(CorpusTests.CorpusDirectory(), message);
        string expectedPath = Path.ChangeExtension(path, ".tree");
        string actualPath = expectedPath + ".actual";
        using FileStream stream = File.OpenRead(path);

        string actual = TreeDump.Render(MimeParser.Parse(stream));

        string? expected = File.Exists(expectedPath) ? File.ReadAllText(expectedPath) : null;
        if (actual == expected)
        {
            File.Delete(actualPath);
            return;
        }
        File.WriteAllText(actualPath, actual);
        Assert.Fail($"{message}: tree differs from {Path.GetFileName(expectedPath)}; actual written to {actualPath}");
    }
}
