using System.Text.Json;

namespace PinsDaemon.Cli.Tests.TestSupport;

internal static class DaemonLog
{
    /// <summary>The job's whole stored log, as the daemon serves it over REST.</summary>
    public static async Task<List<JsonElement>> LinesAsync(DaemonFixture daemon, string jobId)
    {
        var lines = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = await daemon.Client.GetFromJsonAsync<List<JsonElement>>($"/jobs/{jobId}/log?after={after}&limit=10000");
            if (page is null || page.Count == 0)
            {
                return lines;
            }

            lines.AddRange(page);
            after = page[^1].GetProperty("seq").GetInt64();
        }
    }

    public static async Task<List<string>> TextsAsync(DaemonFixture daemon, string jobId) =>
        (await LinesAsync(daemon, jobId)).Select(line => line.GetProperty("text").GetString()!).ToList();

    public static async Task<List<JsonElement>> JobsAsync(DaemonFixture daemon) =>
        (await daemon.Client.GetFromJsonAsync<List<JsonElement>>("/jobs"))!;
}
