using Akka.Hosting;
using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Schedule;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Activation;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Endpoints;
using PinsDaemon.Host.Fleet;
using PinsDaemon.Host.Hosting;
using PinsDaemon.Host.HostStatus;
using PinsDaemon.Host.Metrics;
using PinsDaemon.Host.Notifications;
using PinsDaemon.Host.OpenApi;
using PinsDaemon.Host.Streaming;
using PinsDaemon.Host.Web;

namespace PinsDaemon.Host;

/// <summary>Builds the daemon: a short list of AddX and MapX calls. Tests build it the same way.</summary>
public static class DaemonApp
{
    /// <summary>Loopback unless told otherwise: the token must not cross a network in clear text by default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5180";

    /// <summary>Dead peers are noticed within about a minute: a ping every 20 s, 30 s to answer.</summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // Settings change with a restart: watching the content root for appsettings edits costs
        // start-up time and memory (measured in bench/), and a daemon has no use for it.
        // The content root is the daemon's own directory, wherever it is started from (started
        // from "/", the default would make "/" the content root).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddPinsSettingsFile();
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, DefaultUrl);
        }

        builder.Host.UseSystemd();
        builder.ConfigurePinsKestrel();
        builder.ConfigurePinsHttps();
        builder.AddActivity();
        builder.Logging.AddPinsLogFilters();
        builder.Services.AddPinsOptions(builder.Configuration);
        builder.Services.AddPinsAuth();
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = JobRoute.DescribeInvalidId);
        // A route value that does not parse is a 400 with a problem body, in every environment
        // (Development would otherwise throw and log a stack trace for a client's typo).
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
        builder.Services.ConfigureHttpJsonOptions(options => ContractJson.Apply(options.SerializerOptions));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IRunner>(services =>
        {
            var upgrade = services.GetRequiredService<IOptions<UpgradeOptions>>().Value;
            return upgrade.UseSudo
                ? new SudoRunner(upgrade.SudoPath, upgrade.ScriptPath, upgrade.RunsDirectory)
                : new DetachedRunner(upgrade.ScriptPath, services.GetRequiredService<JobStore>().RunsDirectory);
        });
        builder.Services.AddSingleton<Streaming.LogConnectionLimiter>();
        builder.Services.AddSingleton<Web.StaticAssets>();
        builder.Services.AddPinsHostStatus();
        builder.Services.AddPinsNotifications();
        builder.Services.AddHostedService<SystemdWatchdog>();
        var fleet = FleetWiring.IsEnabled(builder.Configuration);
        if (fleet)
        {
            FleetWiring.AddServices(builder.Services, builder.Configuration);
        }

        builder.Services.AddAkka("pinsdaemon", (akka, services) =>
        {
            var upgrade = services.GetRequiredService<IOptions<UpgradeOptions>>().Value;
            var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
            var schedule = services.GetRequiredService<IOptions<ScheduleOptions>>().Value;
            akka.ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                .WithPinsNotifications(
                    services.GetRequiredService<Actors.Notifications.NotificationSettings>(),
                    services.GetRequiredService<Actors.Notifications.INotificationSender>(),
                    services.GetRequiredService<TimeProvider>())
                .WithPinsActors(
                    new JobSupervisorSettings(upgrade.UseSudo, storage.MaxJobs)
                    {
                        Timeout = upgrade.Timeout,
                        IdleWarning = upgrade.IdleWarning,
                    },
                    services.GetRequiredService<IRunner>(),
                    services.GetRequiredService<JobStore>(),
                    services.GetRequiredService<TimeProvider>());
            if (schedule.Enabled)
            {
                akka.WithCheckScheduler(schedule.ToSettings(), new ScheduleStateFile(services.GetRequiredService<JobStore>().Root), services.GetRequiredService<TimeProvider>());
            }

            if (fleet)
            {
                FleetWiring.ConfigureAkka(akka, services);
            }
        });
        builder.Services.AddPinsMetrics();
        builder.Services.AddPinsOpenApi();
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UsePinsForwardedHeaders();
        app.UsePinsSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseLogStreamCoalescing();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = KeepAliveInterval, KeepAliveTimeout = KeepAliveTimeout });
        app.UseAuthentication();
        app.UseFailedAuthThrottle();
        app.UseSessionAntiForgery();
        app.UseAuthorization();
        app.Lifetime.ApplicationStarted.Register(() => ReportListeners(app));
        app.Lifetime.ApplicationStarted.Register(() => WarnAboutMissingScript(app));

        app.MapHealth();
        app.MapPage();
        app.MapSession();
        app.MapUpgrade();
        app.MapJobs();
        app.MapLogs();
        app.MapHostStatus();
        app.MapPinsMetrics();
        app.MapPinsOpenApi();
        if (FleetWiring.IsEnabled(app.Configuration))
        {
            FleetWiring.Map(app);
        }
        return app;
    }

    private static void WarnAboutMissingScript(WebApplication app)
    {
        var upgrade = app.Services.GetRequiredService<IOptions<UpgradeOptions>>().Value;
        if (upgrade.UseSudo && !File.Exists(upgrade.ScriptPath))
        {
            app.Logger.LogWarning(
                "Upgrade:ScriptPath '{ScriptPath}' does not exist: every job will fail until it is installed (apt install --reinstall pinsdaemon)", upgrade.ScriptPath);
        }
    }

    /// <summary>
    /// Warns about plain HTTP on the network, and logs the HTTPS certificate's fingerprint so the
    /// administrator can compare it with what a client is shown (journalctl -u pinsdaemon).
    /// </summary>
    private static void ReportListeners(WebApplication app)
    {
        foreach (var url in app.Urls)
        {
            if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && NetworkExtensions.IsNetworkFacing(url))
            {
                app.Logger.LogWarning(
                    "Listening on {Url} over plain HTTP: the bearer token crosses the network in clear text. Use HTTPS (see the README).", url);
            }
            else if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                     && app.Services.GetRequiredService<ServerCertificateProvider>().Current is { } certificate)
            {
                app.Logger.LogInformation(
                    "Listening on {Url} with certificate SHA-256 fingerprint {Fingerprint} (valid until {NotAfter:yyyy-MM-dd})",
                    url, certificate.Fingerprint, certificate.Certificate.NotAfter.ToUniversalTime());
            }
        }
    }
}
