namespace PinsDaemon.Host.Configuration;

internal static class LoggingExtensions
{
    /// <summary>
    /// ASP.NET Core's request logging prints the full URL, query string included, and the
    /// WebSocket takes the token as <c>?token=</c>. Those categories are silenced in code, after
    /// the configuration's rules, so a setting such as <c>Logging:LogLevel:Default=Trace</c>
    /// cannot bring them back.
    /// </summary>
    private static readonly string[] CategoriesThatPrintUrls =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.W3CLogging",
    ];

    public static ILoggingBuilder AddPinsLogFilters(this ILoggingBuilder logging)
    {
        foreach (var category in CategoriesThatPrintUrls)
        {
            logging.AddFilter(category, LogLevel.Warning);
        }

        return logging;
    }
}
