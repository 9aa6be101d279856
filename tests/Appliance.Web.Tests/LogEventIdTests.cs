using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Appliance.Web.Tests;

/// <summary>Stable, distinct log event ids: an operator's alert on one id must not fire for another area's event.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_logger_message_of_the_process_has_its_own_event_id()
    {
        // The host and the server log into one stream, so their ids share one space.
        var ids = new[] { typeof(Appliance.Server.ApplianceServices).Assembly, typeof(Appliance.Web.Hosting.ApplianceHost).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();
        Assert.True(ids.Count > 20, "the scan found the logging methods");
        var duplicates = ids.GroupBy(x => x.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Method))}").ToList();
        Assert.True(duplicates.Count == 0, "duplicate event ids:\n" + string.Join('\n', duplicates));
    }
}
