namespace PinsDaemon.Host.Endpoints;

internal static class HealthEndpoints
{
    /// <summary><c>GET /healthz</c>: no token, and nothing about the host or its jobs.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealth).AllowAnonymous();
        return app;
    }

    private static IResult GetHealth() => TypedResults.Text("ok");
}
