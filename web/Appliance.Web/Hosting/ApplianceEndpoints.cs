using System.Collections.Concurrent;
using System.Net;
using Appliance.Server.ClientSetup;
using Appliance.Server.Listeners;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Appliance.Web.Hosting;

/// <summary>
/// Where each enabled endpoint actually listens. Kestrel writes the bound address back into the
/// <see cref="ListenOptions"/> it was given, so with port 0 this reports the port the OS chose.
/// Valid once the host has started.
/// </summary>
public sealed class ApplianceEndpoints : IBoundListenerPorts
{
    private readonly ConcurrentDictionary<ListenerKind, ListenOptions> _listeners = new();

    internal void Add(ListenerKind kind, ListenOptions listen) => _listeners[kind] = listen;

    /// <summary>The bound address of an enabled endpoint; throws when it is disabled or not bound yet.</summary>
    public IPEndPoint this[ListenerKind kind] =>
        TryGet(kind, out var endPoint)
            ? endPoint
            : throw new InvalidOperationException($"The {kind} endpoint is disabled or not bound yet.");

    public bool TryGet(ListenerKind kind, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (!_listeners.TryGetValue(kind, out var listen) || listen.IPEndPoint is not { } bound || bound.Port == 0)
            return false;
        endPoint = bound;
        return true;
    }

    /// <summary>The bound port of an enabled endpoint, or null (mail client set-up advertises it).</summary>
    public int? PortOf(ListenerKind kind) => TryGet(kind, out var endPoint) ? endPoint.Port : null;

    /// <summary>All bound endpoints, in <see cref="ListenerKind"/> order.</summary>
    public IReadOnlyList<KeyValuePair<ListenerKind, IPEndPoint>> All =>
        Enum.GetValues<ListenerKind>()
            .Select(kind => TryGet(kind, out var endPoint) ? new KeyValuePair<ListenerKind, IPEndPoint>(kind, endPoint) : default)
            .Where(pair => pair.Value is not null)
            .ToList();
}
