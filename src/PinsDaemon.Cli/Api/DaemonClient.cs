using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Api;

/// <summary>
/// The daemon's HTTP API and log WebSocket, for one host. Every failure becomes a
/// <see cref="CliException"/> with the exit code it means: 4 for a refused token or
/// certificate, 5 for a daemon that cannot be reached, 1 for a request the daemon refused.
/// </summary>
internal sealed class DaemonClient : IDisposable
{
    /// <summary>The daemon answers every request at once; 30 s allows for a busy Pi on Wi-Fi.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// 16 MiB: the largest answer is <c>GET /jobs</c>, at most 100 jobs with their plans and 50
    /// audit entries each, well under this. Log pages are read as a stream, not buffered.
    /// </summary>
    private const int MaxResponseBytes = 16 * 1024 * 1024;

    /// <summary>A problem+json body is a few hundred bytes; only this much of an error body is read.</summary>
    private const int MaxProblemBytes = 64 * 1024;

    /// <summary>Lines per log page: the daemon's default page.</summary>
    private const int LogPageLines = 1000;

    /// <summary>
    /// The daemon pings every 20 s; pins pings too, so a connection that died without a word
    /// (Wi-Fi gone, host powered off) is noticed within a minute and --follow reconnects.
    /// </summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);

    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _http;

    public DaemonClient(HostTarget target)
    {
        Target = target;
        _handler = new SocketsHttpHandler
        {
            // A redirect would carry the token to wherever it points.
            AllowAutoRedirect = false,
            // The daemon is on the owner's network; a proxy in between would only be one more party to trust.
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        _handler.SslOptions.RemoteCertificateValidationCallback = target.Certificate.Validate;
        _http = new HttpClient(_handler, disposeHandler: false)
        {
            Timeout = RequestTimeout,
            MaxResponseContentBufferSize = MaxResponseBytes,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
    }

    public HostTarget Target { get; }

    public Task<Answer<IReadOnlyList<JobSnapshot>>> ListJobsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<JobSnapshot>>(HttpMethod.Get, ApiPaths.Jobs, null, ct);

    public Task<Answer<JobSnapshot>> GetJobAsync(JobId id, CancellationToken ct) =>
        SendAsync<JobSnapshot>(HttpMethod.Get, ApiPaths.Job(id), null, ct);

    public Task<Answer<JobAccepted>> StartAsync(UpgradeRequest request, CancellationToken ct) =>
        SendAsync<JobAccepted>(HttpMethod.Post, ApiPaths.Upgrade, request, ct);

    /// <summary><c>POST /reboot</c>, or <c>DELETE /reboot</c> to cancel.</summary>
    public Task<Answer<RebootStatus>> RebootAsync(bool cancel, CancellationToken ct) =>
        SendAsync<RebootStatus>(cancel ? HttpMethod.Delete : HttpMethod.Post, ApiPaths.Reboot, null, ct);

    public Task<Answer<JobSnapshot>> CancelAsync(JobId id, CancellationToken ct) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, ApiPaths.Cancel(id), null, ct);

    public Task<Answer<IReadOnlyList<FleetHostView>>> ListFleetHostsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<FleetHostView>>(HttpMethod.Get, FleetPaths.Hosts, null, ct, NotInAFleet);

    public Task<Answer<RolloutAccepted>> StartRolloutAsync(RolloutRequest request, CancellationToken ct) =>
        SendAsync<RolloutAccepted>(HttpMethod.Post, FleetPaths.Rollouts, request, ct, NotInAFleet);

    public Task<Answer<IReadOnlyList<RolloutView>>> ListRolloutsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<RolloutView>>(HttpMethod.Get, FleetPaths.Rollouts, null, ct, NotInAFleet);

    public Task<Answer<RolloutView>> GetRolloutAsync(string id, CancellationToken ct) =>
        SendAsync<RolloutView>(HttpMethod.Get, FleetPaths.Rollout(id), null, ct, NotInAFleet);

    public Task<Answer<RolloutView>> SteerRolloutAsync(string id, RolloutCommand command, CancellationToken ct) =>
        SendAsync<RolloutView>(HttpMethod.Post, FleetPaths.Command(id, command), null, ct, NotInAFleet);

    /// <summary>
    /// The log's lines after <paramref name="after"/> as stored now, page by page (<c>GET /jobs/{id}/log</c>),
    /// each page read as a stream, so a long log never sits in memory whole.
    /// </summary>
    public async IAsyncEnumerable<LineFrame> ReadLogAsync(JobId id, long after, [EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var path = $"{ApiPaths.JobLog(id)}?after={after.ToString(CultureInfo.InvariantCulture)}&limit={LogPageLines}";
            using var response = await SendRawAsync(HttpMethod.Get, path, null, ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var any = false;
            await foreach (var line in JsonSerializer.DeserializeAsyncEnumerable<LineFrame>(body, ContractJson.Options, ct))
            {
                if (line is null)
                {
                    throw new CliException(ExitCodes.Failed, $"{Target.Label} sent a log page with an empty entry.");
                }

                any = true;
                after = line.Seq;
                yield return line;
            }

            if (!any)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Opens the log WebSocket after line <paramref name="after"/>. A failure that may pass
    /// (unreachable, daemon busy, too many streams) is a retryable <see cref="CliException"/>.
    /// </summary>
    public Task<WebSocket> ConnectLogsAsync(JobId id, long after, CancellationToken ct) =>
        ConnectAsync($"{ApiPaths.Logs(id)}?after={after.ToString(CultureInfo.InvariantCulture)}&batch=true", $"{Target.Label} has no job {id}.", ct);

    /// <summary>Opens a rollout's merged log, each host's lines after its seq in <paramref name="after"/>; as <see cref="ConnectLogsAsync"/> otherwise.</summary>
    public Task<WebSocket> ConnectRolloutLogsAsync(string id, IReadOnlyDictionary<string, long> after, CancellationToken ct)
    {
        var positions = FleetLogPositions.Format(after);
        var query = positions.Length > 0 ? $"?after={Uri.EscapeDataString(positions)}" : string.Empty;
        return ConnectAsync(FleetPaths.Logs(id) + query, $"{Target.Label} has no rollout {id} ({NotInAFleet}).", ct);
    }

    private async Task<WebSocket> ConnectAsync(string pathAndQuery, string notFound, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {Target.Token}");
        socket.Options.KeepAliveInterval = KeepAliveInterval;
        socket.Options.KeepAliveTimeout = KeepAliveTimeout;
        socket.Options.CollectHttpResponseDetails = true;
        var http = Resolve(pathAndQuery);
        var uri = new UriBuilder(http) { Scheme = http.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
            await socket.ConnectAsync(uri, invoker, timeout.Token);
            return socket;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw status switch
            {
                0 when ex is OperationCanceledException => new CliException(ExitCodes.Unreachable, $"{Target.Label} did not answer within {RequestTimeout.TotalSeconds:0} s.") { Retryable = true },
                0 => Unreachable(ex),
                HttpStatusCode.Unauthorized => new CliException(ExitCodes.AuthenticationRefused, $"{Target.Label} refused the token."),
                HttpStatusCode.NotFound => new CliException(ExitCodes.Failed, notFound),
                HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout =>
                    new CliException(ExitCodes.Unreachable, $"{Target.Label} cannot stream the log right now ({(int)status}).") { Retryable = true },
                _ => new CliException(ExitCodes.Failed, $"{Target.Label} refused the log stream ({(int)status})."),
            };
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    /// <param name="notFound">What a 404 without a word of explanation means here (an endpoint the daemon does not serve).</param>
    private async Task<Answer<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct, string? notFound = null)
    {
        using var response = await SendRawAsync(method, path, body, ct, notFound);
        JsonElement json;
        T? value;
        try
        {
            json = await response.Content.ReadFromJsonAsync<JsonElement>(ContractJson.Options, ct);
            value = json.Deserialize<T>(ContractJson.Options);
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Failed, $"{Target.Label} sent an answer pins cannot read ({ex.Message}). Is this a PinsDaemon?");
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(ex);
        }

        return new Answer<T>(value ?? throw new CliException(ExitCodes.Failed, $"{Target.Label} sent an empty answer."), json);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken ct, string? notFound = null)
    {
        using var request = new HttpRequestMessage(method, Resolve(path));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: ContractJson.Options);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(ex);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"{Target.Label} did not answer within {RequestTimeout.TotalSeconds:0} s.") { Retryable = true };
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await RefusedAsync(response, notFound, ct);
        }
    }

    private async Task<CliException> RefusedAsync(HttpResponseMessage response, string? notFound, CancellationToken ct)
    {
        var problem = await ReadProblemAsync(response, ct);
        if (response.StatusCode == HttpStatusCode.NotFound && problem?.Detail is null && notFound is not null)
        {
            return new CliException(ExitCodes.Failed, $"{Target.Label} answered 404: {notFound}");
        }

        var detail = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "no reason given";
        var said = ControlCharacters.Neutralize(detail);
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized =>
                new CliException(ExitCodes.AuthenticationRefused, $"{Target.Label} refused the token: {said}"),
            HttpStatusCode.Conflict when problem?.JobId is { } jobId && JobId.TryParse(jobId, out var running) =>
                new CliException(ExitCodes.Failed, $"{Target.Label}: {said}") { JobId = running },
            HttpStatusCode.Conflict when problem?.RolloutId is { } rolloutId && Guid.TryParse(rolloutId, out var rollout) =>
                new CliException(ExitCodes.Failed, $"{Target.Label}: {said}") { RolloutId = rollout.ToString("D") },
            _ => new CliException(ExitCodes.Failed, $"{Target.Label} refused the request ({(int)response.StatusCode}): {said}"),
        };
    }

    private static async Task<ApiProblem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxProblemBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), ct)) > 0)
            {
                length += read;
            }

            return JsonSerializer.Deserialize<ApiProblem>(buffer.AsSpan(0, length), ContractJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
            // Not problem+json (a proxy's error page, say): the status code alone will do.
            return null;
        }
    }

    /// <summary>The host could not be reached, or its certificate was refused (then it is an authentication failure).</summary>
    private CliException Unreachable(Exception ex)
    {
        if (Target.Certificate.Refusal is { } refusal)
        {
            return new CliException(ExitCodes.AuthenticationRefused, $"Not connecting to {Target.Label}: {refusal}");
        }

        var reason = new StringBuilder(ex.Message);
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            reason.Append(": ").Append(inner.Message);
        }

        return new CliException(ExitCodes.Unreachable, $"Cannot reach {Target.Label} ({Target.BaseUrl}): {ControlCharacters.Neutralize(reason.ToString())}") { Retryable = true };
    }

    private Uri Resolve(string path) => new(Target.BaseUrl, path.TrimStart('/'));

    private const string NotInAFleet = "it is not part of a fleet: fleet commands need a daemon with Fleet:Enabled=true";
}

/// <summary>An answer from the daemon: typed, and as the JSON it sent (what <c>--json</c> prints, fields pins does not know included).</summary>
internal sealed record Answer<T>(T Value, JsonElement Json);
