using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Tests.Listeners;

/// <summary>Records every log entry with the properties of the scopes it was written in.</summary>
internal sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    internal sealed record Entry(string Category, EventId EventId, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Scope);

    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            owner._scopes.ForEachScope((value, properties) =>
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, item) in pairs)
                        properties[key] = item;
                }
            }, scope);
            owner.Entries.Enqueue(new Entry(category, eventId, logLevel, formatter(state, exception), scope));
        }
    }
}
