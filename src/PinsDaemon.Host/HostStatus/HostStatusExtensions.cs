using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Contracts;
using PinsDaemon.Host.AptHistory;
using PinsDaemon.Host.Endpoints;

namespace PinsDaemon.Host.HostStatus;

/// <summary><c>GET /host</c> and <c>GET /host/apt-history</c>.</summary>
internal static class HostStatusExtensions
{
    public static IServiceCollection AddPinsHostStatus(this IServiceCollection services)
    {
        services.AddOptions<HostStatusOptions>()
            .BindConfiguration(HostStatusOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(new HostPaths());
        services.AddSingleton<HostFacts>();
        services.AddSingleton<DpkgHolds>();
        services.AddSingleton<HostStatusReader>();
        services.AddSingleton(sp => new AptHistoryReader(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostStatusOptions>>(), TimeZoneInfo.Local));
        return services;
    }

    public static IEndpointRouteBuilder MapHostStatus(this IEndpointRouteBuilder app)
    {
        var host = app.MapGroup("/host").WithTags("Host");
        host.MapGet("/", GetHostAsync)
            .WithSummary("The machine: OS, kernel, uptime, boot, reboot needs, last apply, running job, pending updates")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        host.MapGet("/apt-history", GetAptHistoryAsync)
            .WithSummary("Every apt run on the machine, from apt's own history log, newest first")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapReboot();
        return app;
    }

    private static async Task<Results<Ok<Contracts.HostStatus>, ProblemHttpResult>> GetHostAsync(HostStatusReader reader, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken) is { } status ? TypedResults.Ok(status) : ApiProblems.Unavailable();

    /// <summary><c>GET /host/apt-history?offset=N&amp;limit=M</c>.</summary>
    private static async Task<Results<Ok<AptHistoryPage>, ProblemHttpResult>> GetAptHistoryAsync(
        HttpRequest request,
        AptHistoryReader reader,
        CancellationToken cancellationToken)
    {
        if (!QueryNumbers.TryGet(request.Query, "offset", 0, 0, int.MaxValue, out var offset))
        {
            return ApiProblems.BadRequest("Invalid 'offset'", "'offset' is how many of the newest entries to skip: a whole number, 0 or more (a page's nextOffset).");
        }

        if (!QueryNumbers.TryGet(request.Query, "limit", AptHistoryReader.DefaultLimit, 1, AptHistoryReader.MaxLimit, out var limit))
        {
            return ApiProblems.BadRequest("Invalid 'limit'", $"'limit' is how many entries to return: a whole number from 1 to {AptHistoryReader.MaxLimit}.");
        }

        return TypedResults.Ok(await reader.ReadPageAsync((int)offset, (int)limit, cancellationToken));
    }
}
