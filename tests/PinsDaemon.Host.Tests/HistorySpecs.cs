using System.Net;
using System.Text.Json;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class HistorySpecs
{
    [Fact]
    public async Task Should_serve_jobs_and_logs_from_before_a_restart()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        string jobId;
        await using (var first = await DaemonFixture.StartWithStorageAsync("many-lines.sh", storage, token))
        {
            jobId = (await first.StartJobAsync()).GetProperty("jobId").GetString()!;
            await first.WaitForEndAsync(jobId);
        }

        await using var second = await DaemonFixture.StartWithStorageAsync("many-lines.sh", storage, token);
        var job = await second.GetJobAsync(jobId);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(3000, job.GetProperty("lineCount").GetInt64());
        Assert.Equal(jobId, (await second.Client.GetFromJsonAsync<JsonElement>("/jobs"))[0].GetProperty("jobId").GetString());

        using var socket = await second.ConnectAsync($"/logs/{jobId}?after=2990");
        var read = await DaemonFixture.ReadAllAsync(socket);
        Assert.Equal(Enumerable.Range(2991, 10).Select(n => (long)n), read.Lines.Select(l => l.GetProperty("seq").GetInt64()));
        Assert.Equal("succeeded", read.End.GetProperty("status").GetString());

        var page = await second.Client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}/log?after=10&limit=3");
        Assert.Equal([11L, 12, 13], page.EnumerateArray().Select(l => l.GetProperty("seq").GetInt64()));
        Assert.Equal("line 11", page[0].GetProperty("text").GetString());
        Assert.Equal("line", page[0].GetProperty("type").GetString());

        Directory.Delete(storage, recursive: true);
    }

    [Fact]
    public async Task Should_page_the_log_over_rest_and_reject_bad_paging()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);

        var all = await daemon.Client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}/log");
        Assert.Equal(5, all.GetArrayLength());
        Assert.Equal("stderr", all.EnumerateArray().Single(l => l.GetProperty("text").GetString() == "to stderr").GetProperty("stream").GetString());
        var none = await daemon.Client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}/log?after=5");
        Assert.Equal(0, none.GetArrayLength());

        foreach (var query in new[] { "after=-1", "after=x", "limit=0", "limit=10001", "limit=1&limit=2" })
        {
            using var response = await daemon.Client.GetAsync($"/jobs/{jobId}/log?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using var unknown = await daemon.Client.GetAsync($"/jobs/{Guid.NewGuid()}/log");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var traversal = await daemon.Client.GetAsync("/jobs/..%2F..%2Fetc/log");
        Assert.Equal(HttpStatusCode.BadRequest, traversal.StatusCode);
    }

    private static string? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        var match = System.Text.RegularExpressions.Regex.Match(string.Join(",", links), "<([^>]+)>; *rel=\"next\"");
        Assert.True(match.Success, string.Join(",", links));
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task Should_end_a_log_page_at_about_one_mebibyte_and_link_to_the_rest()
    {
        await using var daemon = await DaemonFixture.StartAsync("long-lines.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);

        var next = $"/jobs/{jobId}/log?limit=10000";
        var seqs = new List<long>();
        var pages = 0;
        while (next is not null)
        {
            using var response = await daemon.Client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(body.Length <= 1024 * 1024, $"a page of {body.Length} bytes");
            var page = JsonDocument.Parse(body).RootElement;
            Assert.All(page.EnumerateArray(), l => Assert.StartsWith($"{l.GetProperty("seq").GetInt64():0000} ", l.GetProperty("text").GetString()));
            seqs.AddRange(page.EnumerateArray().Select(l => l.GetProperty("seq").GetInt64()));
            next = NextPage(response);
            Assert.True(++pages < 100, "the links lead somewhere");
        }

        Assert.Equal(Enumerable.Range(1, 3000).Select(n => (long)n), seqs);
        Assert.True(pages >= 12, $"{pages} pages");

        // 'limit' still ends a page first when it is smaller, and links to the rest the same way.
        using var three = await daemon.Client.GetAsync($"/jobs/{jobId}/log?after=10&limit=3");
        var lines = await three.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([11L, 12, 13], lines.EnumerateArray().Select(l => l.GetProperty("seq").GetInt64()));
        Assert.Equal($"/jobs/{jobId}/log?after=13&limit=3", NextPage(three));
        using var last = await daemon.Client.GetAsync($"/jobs/{jobId}/log?after=2998&limit=2");
        Assert.Equal(2, (await last.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());
        Assert.Null(NextPage(last));
    }

    [Fact]
    public async Task Should_refuse_to_start_when_the_storage_directory_cannot_be_created_naming_it()
    {
        var file = Path.GetTempFileName();
        var impossible = Path.Combine(file, "state");
        try
        {
            await using var app = DaemonFixture.Build(["--urls", "http://127.0.0.1:0", $"--API_TOKEN={DaemonFixture.NewToken()}", $"--Storage:Directory={impossible}"]);
            var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
            Assert.Contains(impossible, ex.Message);
            Assert.Contains("Storage:Directory", ex.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
