namespace Appliance.Mime.Tests;

internal static class TreeInvariants
{
    /// <summary>
    /// Every offset lies within the message and in order (header start &lt;= body start &lt;= body end),
    /// children lie inside their parent's body and after their previous sibling, lines never exceed
    /// octets, and each part number leads back to its entity (FindPart).
    /// </summary>
    public static void Check(MimeEntity root, long length)
    {
        var pending = new Stack<MimeEntity>();
        pending.Push(root);
        int count = 0;
        while (pending.Count > 0)
        {
            MimeEntity e = pending.Pop();
            count++;
            string where = $"{e.PartNumber} {e.MediaType}/{e.MediaSubtype} header={e.HeaderStart} body={e.BodyStart}-{e.BodyEnd} lines={e.BodyLines} length={length}";
            Assert.True(0 <= e.HeaderStart && e.HeaderStart <= e.BodyStart && e.BodyStart <= e.BodyEnd && e.BodyEnd <= length, where);
            Assert.True(0 <= e.BodyLines && e.BodyLines <= e.BodySize, where);
            Assert.True(0 <= e.BodyBareLineFeeds && e.BodyBareLineFeeds <= e.BodyLines, where);
            MimeEntity? found = root.FindPart(e.PartNumber);
            Assert.True(found == e || (found == e.Parent && e.IsMessage), $"{where}: FindPart gave {found}");
            long previousEnd = e.BodyStart;
            foreach (MimeEntity child in e.Children)
            {
                Assert.Same(e, child.Parent);
                Assert.True(previousEnd <= child.HeaderStart && child.BodyEnd <= e.BodyEnd, $"{where} child {child.PartNumber} header={child.HeaderStart} end={child.BodyEnd}");
                previousEnd = child.BodyEnd;
                pending.Push(child);
            }
        }
        Assert.InRange(count, 1, MimeLimits.Default.MaxParts);
    }
}
