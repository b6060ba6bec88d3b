using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Configuration;

internal static class LoggingExtensions
{
    /// <summary>
    /// Categories that print request URLs, query string included, and the log stream takes the
    /// token or a ticket as <c>?token=</c> / <c>?ticket=</c>: request starting/finished lines,
    /// HTTP and W3C logging, and Kestrel's description of a malformed request line.
    /// </summary>
    private static readonly string[] CategoriesThatPrintUrls =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.W3CLogging",
        "Microsoft.AspNetCore.Server.Kestrel.BadRequests",
    ];

    /// <summary>
    /// Keeps the categories that print URLs below <see cref="LogLevel.Warning"/> whatever the
    /// configuration says, and leaves out the host's own report of a failure to start. Filter
    /// rules cannot do it: a provider's own rule (<c>Logging:Console:LogLevel:...</c>) outranks
    /// every rule for all providers, and a longer category or a wildcard outranks a shorter one.
    /// So the logger factory itself hands these categories out capped, after all rules.
    /// </summary>
    public static ILoggingBuilder AddPinsLogFilters(this ILoggingBuilder logging)
    {
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(services => new UrlSafeLoggerFactory(
            new LoggerFactory(
                services.GetServices<ILoggerProvider>(),
                services.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
                services.GetService<IOptions<LoggerFactoryOptions>>(),
                services.GetService<IExternalScopeProvider>()))));
        return logging;
    }

    private static bool PrintsUrls(string category) =>
        CategoriesThatPrintUrls.Any(c => category.StartsWith(c, StringComparison.Ordinal)
                                         && (category.Length == c.Length || category[c.Length] == '.'));

    /// <summary>
    /// The host's "Hosting failed to start" (with the exception's stack trace): Program.cs
    /// reports every failure to start itself, in one line for a wrong setting.
    /// </summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private const int HostingFailedToStart = 11;

    private sealed class UrlSafeLoggerFactory(LoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName)
        {
            var logger = inner.CreateLogger(categoryName);
            if (categoryName == HostCategory)
            {
                return new WithoutEvent(logger, HostingFailedToStart);
            }

            return PrintsUrls(categoryName) ? new WarningsOnlyLogger(logger) : logger;
        }

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>Passes warnings and errors on; their messages in these categories carry no URL.</summary>
    private sealed class WarningsOnlyLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    /// <summary>Passes every event on but one.</summary>
    private sealed class WithoutEvent(ILogger inner, int dropped) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != dropped)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
