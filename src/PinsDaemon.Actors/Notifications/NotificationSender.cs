using System.Net.Http.Headers;
using System.Text;

namespace PinsDaemon.Actors.Notifications;

/// <summary>Sends one attempt of a delivery; a seam for the dispatcher's specs.</summary>
public interface INotificationSender
{
    /// <summary>Never throws for the receiver's sake: a failed attempt comes back with its error.</summary>
    Task<SendResult> SendAsync(NotificationTarget target, Delivery delivery, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <param name="Error">Why it was not delivered, in words safe to show and log (no URL, no secret).</param>
public sealed record SendResult(bool Delivered, string? Error);

/// <summary>
/// Sends over HTTP: a signed Standard Webhooks POST, or an ntfy publish. Redirects are not
/// followed (a 3xx is a failed attempt: the signed body must not go to another host), the
/// response's body is never read, and every attempt has a timeout.
/// </summary>
public sealed class HttpNotificationSender : INotificationSender, IDisposable
{
    /// <summary>A receiver gets this long to answer: a webhook should answer at once and work later.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    // Made at the first send: most daemons have no target, and an HttpClient loads the HTTP
    // client stack (System.Net.Http's mapped pages alone were 1.2 MiB of the idle RSS, smaps).
    private HttpClient? _client;

    private HttpClient Client => LazyInitializer.EnsureInitialized(ref _client, CreateClient);

    public async Task<SendResult> SendAsync(NotificationTarget target, Delivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var request = target.Kind == NotificationTarget.Webhook ? Webhook(target, delivery, now) : Ntfy(target, delivery);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("pinsdaemon", "1"));
        try
        {
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return status is >= 200 and < 300
                ? new SendResult(true, null)
                : new SendResult(false, status is >= 300 and < 400 ? $"HTTP {status}: redirects are not followed" : $"HTTP {status}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(false, $"no answer within {Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            // The error kind and the socket's words (e.g. "Connection refused"); the message
            // itself names the host and port, which the target already shows.
            var socket = ex.InnerException?.Message is { } inner && inner.Length <= 200 ? $": {inner}" : string.Empty;
            return new SendResult(false, $"connection failed ({ex.HttpRequestError}){socket}");
        }
    }

    private static HttpRequestMessage Webhook(NotificationTarget target, Delivery delivery, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", delivery.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(target.SigningKey!, delivery.Id, timestamp, delivery.Body));
        return request;
    }

    private static HttpRequestMessage Ntfy(NotificationTarget target, Delivery delivery)
    {
        var message = NotificationRules.Ntfy(delivery.Body);
        var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new StringContent(message.Message, Encoding.UTF8, "text/plain"),
        };
        request.Headers.TryAddWithoutValidation("Title", Ascii(message.Title));
        request.Headers.Add("Priority", message.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Tags", message.Tags);
        if (target.AccessToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>A header carries visible ASCII only; the host name should be that anyway.</summary>
    private static string Ascii(string text) => string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c : '?'));

    public void Dispose() => _client?.Dispose();

    private static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = Timeout,
        // Headers only are read: 16 KiB is plenty for any real answer's headers.
        MaxResponseHeadersLength = 16,
        // An unread body is drained at most this far before the connection is dropped.
        MaxResponseDrainSize = 4096,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout,
    };
}
