using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.DevClient;

/// <summary>
/// <c>dotnet run --project ops/dev/PinsDaemon.DevClient -- start|follow|show|cancel</c>: enough of
/// a client to try the daemon by hand. Exit codes: 0 done (a followed job succeeded), 1 refused
/// or failed, 2 usage.
/// </summary>
public static class DevClient
{
    public const string Usage = """
        usage: dotnet run --project ops/dev/PinsDaemon.DevClient -- COMMAND
          start [--dry-run | --apply]   start a job (a dry run unless --apply); prints its id
          follow JOB                    print the job's log as it runs, then how it ended
          show JOB                      print the job (GET /jobs/JOB)
          cancel JOB                    ask the job to stop
        API_TOKEN holds the token; PINSDAEMON_URL the daemon (default http://127.0.0.1:5180).
        """;

    /// <summary>A frame larger than this is not one of the daemon's (a line is at most 64 KiB of text).</summary>
    private const int MaxFrameBytes = 1024 * 1024;

    /// <summary>Reconnections while following (the daemon restarting, a dropped connection) before giving up.</summary>
    private const int MaxReconnects = 10;

    public static Task<int> Main(string[] args) =>
        RunAsync(args, Environment.GetEnvironmentVariable, Console.Out, Console.Error, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, Func<string, string?> environment, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var token = environment("API_TOKEN");
        if (string.IsNullOrEmpty(token))
        {
            await error.WriteLineAsync("API_TOKEN is not set: export the daemon's token first (see the README's quick start).");
            return 2;
        }

        var baseAddress = new Uri(environment("PINSDAEMON_URL") ?? "http://127.0.0.1:5180");
        using var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var client = new Session(http, baseAddress, token, output, error, cancellationToken);
        try
        {
            return args switch
            {
                ["start"] or ["start", "--dry-run"] => await client.StartAsync(dryRun: true),
                ["start", "--apply"] => await client.StartAsync(dryRun: false),
                ["follow", var id] when JobId.TryParse(id, out var job) => await client.FollowAsync(job),
                ["show", var id] when JobId.TryParse(id, out var job) => await client.ShowAsync(job),
                ["cancel", var id] when JobId.TryParse(id, out var job) => await client.CancelAsync(job),
                _ => await UsageAsync(error),
            };
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"cannot reach the daemon at {baseAddress}: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> UsageAsync(TextWriter error)
    {
        await error.WriteLineAsync(Usage);
        return 2;
    }

    private sealed class Session(HttpClient http, Uri baseAddress, string token, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        public async Task<int> StartAsync(bool dryRun)
        {
            using var response = await http.PostAsJsonAsync(ApiPaths.Upgrade, new { dryRun }, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return await RefusedAsync(response);
            }

            var accepted = await response.Content.ReadFromJsonAsync<JobAccepted>(ContractJson.Options, cancellationToken);
            await output.WriteLineAsync(accepted!.JobId);
            return 0;
        }

        public async Task<int> ShowAsync(JobId job)
        {
            using var response = await http.GetAsync(ApiPaths.Job(job), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return await RefusedAsync(response);
            }

            var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            // JSON escapes control characters itself: the document is safe to print as it is.
            await output.WriteLineAsync(JsonSerializer.Serialize(json, Indented));
            return 0;
        }

        public async Task<int> CancelAsync(JobId job)
        {
            using var response = await http.PostAsync(ApiPaths.Cancel(job), content: null, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return await RefusedAsync(response);
            }

            await error.WriteLineAsync($"job {job}: asked to stop");
            return 0;
        }

        /// <summary>Prints log lines to stdout and progress and the outcome to stderr; resumes with <c>?after=</c> after a reconnect.</summary>
        public async Task<int> FollowAsync(JobId job)
        {
            long lastSeq = 0;
            for (var attempt = 0; attempt <= MaxReconnects; attempt++)
            {
                using var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
                socket.Options.CollectHttpResponseDetails = true;
                var scheme = baseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
                try
                {
                    await socket.ConnectAsync(new Uri($"{scheme}://{baseAddress.Authority}{ApiPaths.Logs(job)}?after={lastSeq}"), cancellationToken);
                }
                catch (WebSocketException) when (socket.HttpStatusCode is not (0 or HttpStatusCode.ServiceUnavailable))
                {
                    await error.WriteLineAsync($"job {job}: the daemon refused the log stream ({(int)socket.HttpStatusCode} {socket.HttpStatusCode})");
                    return 1;
                }
                catch (WebSocketException)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    continue;
                }

                try
                {
                    while (await ReceiveAsync(socket) is { } frame)
                    {
                        switch (frame)
                        {
                            case LineFrame line:
                                await output.WriteLineAsync(Safe(line.Text));
                                lastSeq = line.Seq;
                                break;
                            case ProgressFrame progress:
                                var percent = progress.Percent is { } p ? $" {p:0}%" : string.Empty;
                                await error.WriteLineAsync(Safe($"[{progress.Phase}{percent}] {progress.Message}"));
                                break;
                            case EndFrame end:
                                await error.WriteLineAsync(Safe($"job {job}: {end.Status.WireName()}{(end.ExitCode is { } code ? $" (exit code {code})" : string.Empty)}{(end.Message is { } m ? $": {m}" : string.Empty)}"));
                                return end.Status == JobStatus.Succeeded ? 0 : 1;
                            case ShutdownFrame:
                                await error.WriteLineAsync("the daemon is shutting down; reconnecting");
                                break;
                        }
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or IOException)
                {
                    // Dropped: reconnect and carry on after the last line printed.
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            await error.WriteLineAsync($"job {job}: gave up after {MaxReconnects} reconnections; run follow again to resume");
            return 1;
        }

        /// <summary>The next frame, or null when the server closed the stream.</summary>
        private async Task<LogFrame?> ReceiveAsync(ClientWebSocket socket)
        {
            var buffer = new byte[16 * 1024];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                message.Write(buffer, 0, result.Count);
                if (message.Length > MaxFrameBytes)
                {
                    throw new IOException("a frame larger than any the daemon sends");
                }

                if (result.EndOfMessage)
                {
                    return LogFrame.Parse(message.ToArray());
                }
            }
        }

        private async Task<int> RefusedAsync(HttpResponseMessage response)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            try
            {
                detail = JsonDocument.Parse(detail).RootElement.GetProperty("detail").GetString() ?? detail;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Not a problem document: print what came.
            }

            await error.WriteLineAsync(Safe($"{(int)response.StatusCode} {response.ReasonPhrase}: {detail}"));
            return 1;
        }

        private static string Safe(string text) => ControlCharacters.Neutralize(text);

        private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    }
}
