// RFC 5256 section 3 (THREAD): ORDEREDSUBJECT (sort by base subject then sent date; each subject is
// one thread whose first message is the parent of all the others) and REFERENCES (the algorithm of
// steps 1-7, after Jamie Zawinski's); section 2.1 (base subject), 2.2 (sent date), section 4 (the
// THREAD response: thread-list, thread-members, thread-nested); RFC 5322 3.6.4 (msg-id in
// Message-ID, In-Reply-To and References).
using System.Text;
using Appliance.Mime;

namespace Appliance.Server.Imap.Search;

/// <summary>
/// A node of a thread tree: a message, or a dummy standing for a referenced message that is not in
/// the result. Every walk over these trees is iterative, so a deep conversation (or a hostile chain
/// of references) cannot exhaust the stack.
/// </summary>
internal sealed class ThreadNode(SearchCandidate? message)
{
    public SearchCandidate? Message { get; set; } = message;

    public ThreadNode? Parent { get; set; }

    public List<ThreadNode> Children { get; set; } = [];

    public bool IsDummy => Message is null;

    /// <summary>Whether <paramref name="other"/> is this node or one of its ancestors.</summary>
    public bool IsSelfOrDescendantOf(ThreadNode other)
    {
        for (ThreadNode? node = this; node is not null; node = node.Parent)
        {
            if (node == other)
                return true;
        }
        return false;
    }

    public void AddChild(ThreadNode child)
    {
        child.Parent?.Children.Remove(child);
        child.Parent = this;
        Children.Add(child);
    }
}

internal static class ThreadBuilder
{
    /// <summary>RFC 5256 3 ORDEREDSUBJECT.</summary>
    public static List<ThreadNode> OrderedSubject(IReadOnlyList<SearchCandidate> messages)
    {
        var sorted = messages
            .Select(m => (Message: m, Subject: BaseSubject.Of(m.Info.Summary.Subject).Text))
            .OrderBy(m => m.Subject, AsciiCaseMap.Instance)
            .ThenBy(m => m.Message.SentDate)
            .ThenBy(m => m.Message.Sequence)
            .ToList();
        var roots = new List<ThreadNode>();
        ThreadNode? root = null;
        string? subject = null;
        foreach (var (message, base_) in sorted)
        {
            var node = new ThreadNode(message);
            if (root is not null && AsciiCaseMap.Instance.Equals(subject, base_))
            {
                root.AddChild(node);
                continue;
            }
            root = node;
            subject = base_;
            roots.Add(node);
        }
        // Threads in the order of their first message's sent date.
        return [.. roots.OrderBy(r => r.Message!.SentDate).ThenBy(r => r.Message!.Sequence)];
    }

    /// <summary>RFC 5256 3 REFERENCES, steps 1 to 6.</summary>
    public static List<ThreadNode> References(IReadOnlyList<SearchCandidate> messages)
    {
        // Step 1: the id table, links from References (else In-Reply-To), and each message under its last reference.
        var byId = new Dictionary<string, ThreadNode>(StringComparer.Ordinal);
        var all = new List<ThreadNode>();
        ThreadNode NodeFor(string id)
        {
            if (!byId.TryGetValue(id, out var node))
            {
                byId[id] = node = new ThreadNode(null);
                all.Add(node);
            }
            return node;
        }
        foreach (var message in messages)
        {
            var header = message.Header;
            string? id = MessageIds.First(header?.Get("Message-ID")?.Value);
            ThreadNode node;
            if (id is not null && (!byId.TryGetValue(id, out var existing) || existing.IsDummy))
            {
                node = NodeFor(id);
                node.Message = message;
            }
            else
            {
                // No Message-ID, or a duplicate: the message stands alone under a unique id (step 1).
                node = new ThreadNode(message);
                all.Add(node);
            }
            var references = MessageIds.All(header?.Get("References")?.Value);
            if (references.Count == 0 && MessageIds.First(header?.Get("In-Reply-To")?.Value) is { } inReplyTo)
                references = [inReplyTo];
            // Step 1A: link each reference to the next, unless already linked or the link would make a loop.
            ThreadNode? previous = null;
            foreach (string reference in references)
            {
                var current = NodeFor(reference);
                if (previous is not null && current.Parent is null && !previous.IsSelfOrDescendantOf(current))
                    previous.AddChild(current);
                previous = current;
            }
            // Step 1B: the message's own last reference is its parent (replacing an earlier guess), loops excepted.
            if (previous is not null && !previous.IsSelfOrDescendantOf(node))
                previous.AddChild(node);
            else if (previous is null && node.Parent is not null)
            {
                node.Parent.Children.Remove(node);
                node.Parent = null;
            }
        }
        // Steps 2 and 3: the roots; the id table is no longer needed.
        var roots = all.Where(n => n.Parent is null).ToList();
        // Step 4: prune dummies.
        roots = Prune(roots);
        // Step 5: gather roots with the same base subject.
        roots = GatherBySubject(roots);
        // Step 6: siblings by sent date; a dummy takes the date of its first child.
        SortByDate(roots);
        return roots;
    }

    /// <summary>
    /// Step 4: a dummy without children goes; a dummy with children is replaced by them, except at
    /// the root when there are two or more. Post-order, iteratively.
    /// </summary>
    private static List<ThreadNode> Prune(List<ThreadNode> roots)
    {
        foreach (var node in PostOrder(roots))
        {
            var kept = new List<ThreadNode>(node.Children.Count);
            foreach (var child in node.Children)
            {
                if (child.IsDummy && child.Children.Count == 0)
                    continue;
                if (child.IsDummy)
                {
                    foreach (var grandchild in child.Children)
                    {
                        grandchild.Parent = node;
                        kept.Add(grandchild);
                    }
                    continue;
                }
                kept.Add(child);
            }
            node.Children = kept;
        }
        var result = new List<ThreadNode>();
        foreach (var root in roots)
        {
            if (root.IsDummy && root.Children.Count == 0)
                continue;
            if (root.IsDummy && root.Children.Count == 1)
            {
                root.Children[0].Parent = null;
                result.Add(root.Children[0]);
                continue;
            }
            result.Add(root);
        }
        return result;
    }

    /// <summary>Step 5 A and B.</summary>
    private static List<ThreadNode> GatherBySubject(List<ThreadNode> roots)
    {
        static SearchCandidate? Representative(ThreadNode node) => node.Message ?? node.Children.FirstOrDefault()?.Message;
        static BaseSubject SubjectOf(ThreadNode node) =>
            Representative(node) is { } message ? BaseSubject.Of(message.Info.Summary.Subject) : default;

        var table = new Dictionary<string, ThreadNode>(AsciiCaseMap.Instance);
        foreach (var root in roots)
        {
            var subject = SubjectOf(root);
            if (string.IsNullOrEmpty(subject.Text))
                continue;
            if (!table.TryGetValue(subject.Text, out var old)
                || (root.IsDummy && !old.IsDummy)
                || (!old.IsDummy && !root.IsDummy && SubjectOf(old).IsReplyOrForward && !subject.IsReplyOrForward))
                table[subject.Text] = root;
        }
        var removed = new HashSet<ThreadNode>();
        var replaced = new Dictionary<ThreadNode, ThreadNode>();
        foreach (var root in roots)
        {
            var subject = SubjectOf(root);
            // A root already moved under another (a parent of its own now) was handled as that one's "other".
            if (root.Parent is not null || string.IsNullOrEmpty(subject.Text) || !table.TryGetValue(subject.Text, out var other) || other == root)
                continue;
            if (root.IsDummy && other.IsDummy)
            {
                foreach (var child in root.Children.ToList())
                    other.AddChild(child);
                removed.Add(root);
            }
            else if (other.IsDummy)
            {
                other.AddChild(root);
                removed.Add(root);
            }
            else if (root.IsDummy)
            {
                root.AddChild(other);
                removed.Add(other);
                table[subject.Text] = root;
            }
            else if (subject.IsReplyOrForward && !SubjectOf(other).IsReplyOrForward)
            {
                other.AddChild(root);
                removed.Add(root);
            }
            else
            {
                // Neither is the other's parent: both become children of a new dummy in the table one's place.
                var dummy = new ThreadNode(null);
                replaced[other] = dummy;
                dummy.AddChild(other);
                dummy.AddChild(root);
                removed.Add(root);
                table[subject.Text] = dummy;
            }
        }
        var result = new List<ThreadNode>();
        var added = new HashSet<ThreadNode>();
        foreach (var root in roots)
        {
            if (removed.Contains(root))
                continue;
            var node = root;
            while (replaced.TryGetValue(node, out var wrapper))
                node = wrapper;
            if (node.Parent is null && added.Add(node))
                result.Add(node);
        }
        return result;
    }

    /// <summary>Step 6, iteratively: children sorted before their parents, so a dummy can take its first child's date.</summary>
    private static void SortByDate(List<ThreadNode> roots)
    {
        var keys = new Dictionary<ThreadNode, (DateTimeOffset Date, int Sequence)>();
        (DateTimeOffset, int) Key(ThreadNode node) => keys[node];
        foreach (var node in PostOrder(roots))
        {
            node.Children = [.. node.Children.OrderBy(Key)];
            keys[node] = node.Message is { } message
                ? (message.SentDate, message.Sequence)
                : node.Children.Count > 0 ? keys[node.Children[0]] : (DateTimeOffset.MinValue, 0);
        }
        var sorted = roots.OrderBy(Key).ToList();
        roots.Clear();
        roots.AddRange(sorted);
    }

    /// <summary>Every node below and including <paramref name="roots"/>, each after its children.</summary>
    private static List<ThreadNode> PostOrder(List<ThreadNode> roots)
    {
        var order = new List<ThreadNode>();
        var pending = new Stack<ThreadNode>(roots);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            order.Add(node);
            foreach (var child in node.Children)
                pending.Push(child);
        }
        order.Reverse();
        return order;
    }

    /// <summary>
    /// RFC 5256 4: thread-list = "(" (thread-members / thread-nested) ")"; thread-members = nz-number
    /// *(SP nz-number) [SP thread-nested]; thread-nested = 2*thread-list. A chain of only children is
    /// one list of numbers; a node with two or more children nests one list per child.
    /// </summary>
    public static string Format(ThreadNode root, bool byUid)
    {
        var text = new StringBuilder();
        var pending = new Stack<object>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var item = pending.Pop();
            if (item is string close)
            {
                text.Append(close);
                continue;
            }
            var node = (ThreadNode)item;
            text.Append('(');
            bool first = true;
            while (true)
            {
                if (node.Message is { } message)
                {
                    if (!first)
                        text.Append(' ');
                    text.Append(byUid ? message.Uid : (uint)message.Sequence);
                    first = false;
                }
                if (node.Children.Count != 1)
                    break;
                node = node.Children[0];
            }
            if (node.Children.Count > 0 && !first)
                text.Append(' ');
            pending.Push(")");
            for (int i = node.Children.Count - 1; i >= 0; i--)
                pending.Push(node.Children[i]);
        }
        return text.ToString();
    }
}

/// <summary>RFC 5322 3.6.4 msg-id = "&lt;" id-left "@" id-right "&gt;", read leniently: whatever is between the brackets, whitespace removed.</summary>
internal static class MessageIds
{
    /// <summary>The ids in a References or In-Reply-To value, in order; RFC 5256 3 step 1A: only well-formed ones count.</summary>
    public static List<string> All(string? value)
    {
        var ids = new List<string>();
        if (value is null)
            return ids;
        int i = 0;
        while ((i = value.IndexOf('<', i)) >= 0)
        {
            int end = value.IndexOf('>', i + 1);
            if (end < 0)
                break;
            string id = string.Concat(value.AsSpan(i + 1, end - i - 1).ToString().Where(c => !char.IsWhiteSpace(c)));
            if (id.Length > 0 && id.Contains('@') && !id.Contains('<'))
                ids.Add(id);
            i = end + 1;
        }
        return ids;
    }

    public static string? First(string? value) => All(value) is [var first, ..] ? first : null;
}
