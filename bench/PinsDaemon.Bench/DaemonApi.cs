using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PinsDaemon.Bench;

/// <summary>The daemon's HTTP API as a command-line client would use it: a new connection per request.</summary>
internal sealed class DaemonApi : IDisposable
{
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public DaemonApi(Uri baseAddress, string token)
    {
        BaseAddress = baseAddress;
        Token = token;
        _http = NewClient(baseAddress);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri BaseAddress { get; }

    public string Token { get; }

    /// <summary>No pooling: every request opens its own connection, as curl or a CLI would.</summary>
    public static HttpClient NewClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, UseCookies = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <param name="batch">Ask for the opt-in batched frames (<c>?batch=true</c>: several lines to a frame).</param>
    public Uri LogsUri(string jobId, bool batch = false) =>
        new UriBuilder(BaseAddress) { Scheme = "ws", Path = $"/logs/{jobId}", Query = batch ? "batch=true" : "" }.Uri;

    /// <summary>
    /// POST /upgrade {"dryRun":true}. A 409 (the previous job's end is still being recorded) is
    /// retried; the timing restarts with the request that is accepted.
    /// </summary>
    public async Task<StartedJob> StartJobAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(BusyTimeout.TotalSeconds * Stopwatch.Frequency);
        var conflicts = 0;
        while (true)
        {
            var sentAt = Stopwatch.GetTimestamp();
            using var content = new StringContent("{\"dryRun\":true}", Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync("/upgrade", content);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var acceptedAt = Stopwatch.GetTimestamp();
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var jobId = body.RootElement.GetProperty("jobId").GetString()
                    ?? throw new BenchException("POST /upgrade answered 202 without a jobId");
                return new StartedJob(jobId, sentAt, acceptedAt, conflicts);
            }

            if (response.StatusCode != HttpStatusCode.Conflict || Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchException($"POST /upgrade answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            conflicts++;
            await Task.Delay(5);
        }
    }

    public async Task<JobInfo> GetJobAsync(string jobId)
    {
        using var response = await _http.GetAsync($"/jobs/{jobId}");
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        return new JobInfo(
            root.GetProperty("status").GetString() ?? "",
            Date(root, "startedAt"),
            Date(root, "finishedAt"),
            root.GetProperty("lineCount").GetInt64());
    }

    /// <summary>Polls GET /jobs/{id} until the job is over.</summary>
    public async Task<JobInfo> WaitFinishedAsync(string jobId, TimeSpan poll, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var job = await GetJobAsync(jobId);
            if (job.Status != "running")
            {
                return job;
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new BenchException($"job {jobId} still running after {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(poll);
        }
    }

    public void Dispose() => _http.Dispose();

    private static DateTimeOffset? Date(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset() : null;
}

internal sealed record StartedJob(string JobId, long SentAt, long AcceptedAt, int Conflicts)
{
    public TimeSpan AcceptLatency => Stopwatch.GetElapsedTime(SentAt, AcceptedAt);
}

internal sealed record JobInfo(string Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, long LineCount)
{
    /// <summary>The job's own run time as the daemon recorded it (startedAt to finishedAt).</summary>
    public TimeSpan? RunTime => StartedAt is { } start && FinishedAt is { } end ? end - start : null;
}
