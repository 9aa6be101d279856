using Appliance.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Web.Hosting;

/// <summary>A started Appliance host. Dispose it (after <see cref="StopAsync"/>) to release everything.</summary>
public sealed class RunningAppliance : IAsyncDisposable
{
    private readonly WebApplication _app;

    internal RunningAppliance(WebApplication app)
    {
        _app = app;
        Endpoints = app.Services.GetRequiredService<ApplianceEndpoints>();
        Options = app.Services.GetRequiredService<ApplianceOptions>();
    }

    public IServiceProvider Services => _app.Services;

    /// <summary>Where each endpoint is bound (the real port when the configuration said 0).</summary>
    public ApplianceEndpoints Endpoints { get; }

    public ApplianceOptions Options { get; }

    /// <summary>Stops gracefully: mail sessions are told to say goodbye and get the shutdown timeout to close.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Waits until the host is asked to stop (SIGTERM, Ctrl+C, or the token), then stops it.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
