using Microsoft.AspNetCore.Http.Features;

namespace PinsDaemon.Host.Streaming;

internal static class CoalescingExtensions
{
    /// <summary>Runs before UseWebSockets, which captures the upgrade feature it will use.</summary>
    public static IApplicationBuilder UseLogStreamCoalescing(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/logs", StringComparison.Ordinal)
                && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new CoalescingStream.UpgradeFeature(upgrade, context));
            }

            return next(context);
        });
}
