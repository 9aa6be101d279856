namespace Appliance.Web.Admin;

/// <summary>One failed sign-in, for the Logs page.</summary>
public sealed record SignInFailure(DateTimeOffset Time, string Address, string Client);

/// <summary>
/// The most recent failed sign-ins, kept in memory for the Logs page (the server's log has them
/// all, event 1100). Bounded, so a guessing attack cannot grow it.
/// </summary>
public sealed class SignInFailures(TimeProvider time)
{
    public const int Capacity = 1000;

    private readonly Queue<SignInFailure> _recent = new();
    private readonly Lock _lock = new();

    public void Add(string address, string client)
    {
        lock (_lock)
        {
            if (_recent.Count == Capacity)
                _recent.Dequeue();
            _recent.Enqueue(new SignInFailure(time.GetUtcNow(), LogText.Printable(address), client));
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<SignInFailure> Recent()
    {
        lock (_lock)
            return [.. _recent.Reverse()];
    }
}
