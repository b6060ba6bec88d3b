using System.Diagnostics.Metrics;
using Akka.Actor;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.HostStatus;
using PinsDaemon.Host.Streaming;
using Prometheus;

namespace PinsDaemon.Host.Metrics;

/// <summary><c>GET /metrics</c>: Prometheus text, read with its own token (<c>Metrics:TokenFile</c>).</summary>
internal static class MetricsExtensions
{
    public const string Path = "/metrics";

    private const string PolicyName = "metrics";

    /// <summary>Picks the scheme that authenticates a request: the metrics token on /metrics, the admin token everywhere else.</summary>
    private const string SelectorScheme = "PinsSchemeSelector";

    public static IServiceCollection AddPinsMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>()
            .BindConfiguration(MetricsOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();
        services.AddSingleton<MetricsToken>();

        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, MetricsTokenHandler>(MetricsTokenHandler.SchemeName, null)
            .AddPolicyScheme(SelectorScheme, null, options => options.ForwardDefaultSelector = context =>
                context.Request.Path.StartsWithSegments(Path, StringComparison.Ordinal) ? MetricsTokenHandler.SchemeName : AuthExtensions.CredentialsScheme);
        // The admin token's handler must not run on /metrics: a scrape with the metrics token
        // would count as a failed admin login and soon get the scraper throttled. Elsewhere the
        // admin token or the page's session, as the fallback policy takes them (the session
        // must be known here, before the anti-forgery check).
        services.Configure<AuthenticationOptions>(options => options.DefaultAuthenticateScheme = SelectorScheme);
        services.AddAuthorizationBuilder().AddPolicy(PolicyName, policy => policy
            .AddAuthenticationSchemes(MetricsTokenHandler.SchemeName)
            .RequireAuthenticatedUser());

        services.AddSingleton(sp => new PinsMetrics(sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<LogConnectionLimiter>().OpenCount));
        services.AddSingleton(sp =>
        {
            var metrics = sp.GetRequiredService<PinsMetrics>();
            // Resolved at the first scrape, not here: the endpoint is mapped before the daemon
            // starts, and these need the settings that are validated at start.
            return new PrometheusBridge(metrics.Meter, async cancellationToken =>
            {
                var jobs = await sp.GetRequiredService<HostStatusReader>().ListJobsAsync(cancellationToken)
                    ?? throw new ScrapeFailedException("The job supervisor did not answer in time; try again.");
                var facts = sp.GetRequiredService<HostFacts>();
                var holds = await sp.GetRequiredService<DpkgHolds>().ReadAsync(cancellationToken);
                metrics.Update(HostMetricsState.From(jobs.ToArray(), holds, facts.RebootRequired(), facts.PackageCacheTimestamp()));
            });
        });
        services.AddHostedService<JobMetricsStarter>();
        return services;
    }

    public static IEndpointRouteBuilder MapPinsMetrics(this IEndpointRouteBuilder app)
    {
        var registry = app.ServiceProvider.GetRequiredService<PrometheusBridge>().Registry;
        app.MapMetrics(settings => settings.Registry = registry, Path)
            .RequireAuthorization(PolicyName)
            .WithTags("Metrics")
            .WithSummary("Prometheus metrics (text format); needs the metrics token, never the admin token");
        return app;
    }

    /// <summary>Starts the actor that counts finished jobs once the actor system is up.</summary>
    /// <remarks>
    /// The actor system is resolved in <see cref="StartAsync"/>, not injected: hosted services are
    /// built before the settings are validated, and building the actor system for a daemon that
    /// then stops over a bad setting would print Akka's shutdown line beside the one error line.
    /// </remarks>
    private sealed class JobMetricsStarter(IServiceProvider services, PinsMetrics metrics) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<ActorSystem>().ActorOf(JobMetricsRecorder.Props(metrics), "job-metrics");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
