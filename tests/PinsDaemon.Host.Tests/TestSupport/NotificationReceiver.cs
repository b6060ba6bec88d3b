using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace PinsDaemon.Host.Tests.TestSupport;

/// <summary>
/// A real HTTP receiver on a free loopback port, as a webhook or ntfy server would be: it records
/// every request, and while <see cref="Down"/> it drops each connection without an answer.
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();

    private NotificationReceiver(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>While true, connections are cut before an answer: to the daemon, the receiver is down.</summary>
    public volatile bool Down;

    public IReadOnlyList<ReceivedRequest> Received => _received.ToArray();

    public static async Task<NotificationReceiver> StartAsync(bool down = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        NotificationReceiver? receiver = null;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var accepted = !receiver!.Down;
            receiver._received.Enqueue(new ReceivedRequest(context.Request.Path, headers, Encoding.UTF8.GetString(body.ToArray()), accepted));
            if (!accepted)
            {
                context.Abort();
                return;
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new NotificationReceiver(app, new Uri(address)) { Down = down };
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <param name="Headers">By lower-case name.</param>
/// <param name="Accepted">Answered 2xx (false: the connection was cut).</param>
public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, string Body, bool Accepted)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

/// <summary>
/// Standard Webhooks verification written from the specification, independently of the daemon's
/// signer: what a receiver's library does with a delivery.
/// </summary>
public static class StandardWebhooksVerifier
{
    public static bool Verify(string secret, string? id, string? timestamp, string? signatureHeader, string body, DateTimeOffset now)
    {
        if (id is null || timestamp is null || signatureHeader is null || !long.TryParse(timestamp, out var seconds))
        {
            return false;
        }

        // The replay window: a delivery captured and sent again later is refused.
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        using var hmac = new HMACSHA256(key);
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes(id + "." + timestamp + "." + body));
        foreach (var candidate in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = candidate.Split(',', 2);
            if (parts.Length == 2 && parts[0] == "v1"
                && CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(parts[1])))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Verify(string secret, ReceivedRequest request, string body, DateTimeOffset now) =>
        Verify(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), body, now);
}
