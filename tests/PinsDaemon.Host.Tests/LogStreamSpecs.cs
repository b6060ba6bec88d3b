using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class LogStreamSpecs
{
    [Fact]
    public async Task Should_stream_every_line_tagged_with_its_stream_then_the_end_then_close_1000()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
        var read = await DaemonFixture.ReadAllAsync(socket);

        var lines = read.Lines;
        Assert.Equal([1L, 2, 3, 4, 5], lines.Select(l => l.GetProperty("seq").GetInt64()));
        // stdout in its order; the stderr line once, wherever the daemon read it: the two streams
        // are two files read apart, so on a loaded machine the script's sleeps do not order them.
        Assert.Equal(
            ["mode --dry-run", "bad \uFFFD\uFFFD bytes", "café", "last line without newline"],
            lines.Where(l => l.GetProperty("stream").GetString() == "stdout").Select(l => l.GetProperty("text").GetString()));
        Assert.Single(lines, l => l.GetProperty("text").GetString() == "to stderr");
        Assert.Equal("stderr", lines.Single(l => l.GetProperty("text").GetString() == "to stderr").GetProperty("stream").GetString());
        Assert.All(lines.Where(l => l.GetProperty("text").GetString() != "to stderr"), l => Assert.Equal("stdout", l.GetProperty("stream").GetString()));
        Assert.All(lines, l => Assert.True(DateTimeOffset.TryParse(l.GetProperty("time").GetString(), out _)));

        var end = read.End;
        Assert.Equal("end", read.Frames[^1].GetProperty("type").GetString());
        Assert.Equal("succeeded", end.GetProperty("status").GetString());
        Assert.Equal(0, end.GetProperty("exitCode").GetInt32());
        Assert.Equal(5, end.GetProperty("lastSeq").GetInt64());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, read.CloseStatus);
    }

    [Fact]
    public async Task Should_serve_control_characters_as_visible_ones_alike_on_the_websocket_the_rest_log_and_disk()
    {
        await using var daemon = await DaemonFixture.StartAsync("terminal-escapes.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
        var live = (await DaemonFixture.ReadAllAsync(socket)).Lines.Select(l => l.GetProperty("text").GetString()).ToList();

        string[] expected =
        [
            "\u241B[31mred\u241B[0m",
            "\u241B]0;owned\u2407title",
            "ring\u2407 cr\u240Dover del\u2421 c1\uFFFDX tab\there",
        ];
        Assert.Equal(expected, live);
        var page = await daemon.Client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}/log");
        Assert.Equal(expected, page.EnumerateArray().Select(l => l.GetProperty("text").GetString()));
        // The background writer may still be finishing the file.
        var file = Path.Combine(daemon.StorageDirectory, "jobs", jobId, "log.jsonl");
        await Eventually.WaitUntilAsync(async () => File.Exists(file) && (await File.ReadAllLinesAsync(file)).Length == expected.Length);
        var stored = await File.ReadAllLinesAsync(file);
        Assert.Equal(expected, stored.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Should_group_lines_into_array_frames_for_clients_that_opt_in()
    {
        await using var daemon = await DaemonFixture.StartAsync("many-lines.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        using var socket = await daemon.ConnectAsync($"/logs/{jobId}?batch=true&after=10");
        var read = await DaemonFixture.ReadAllAsync(socket);

        var groups = read.Frames.Where(f => f.GetProperty("type").GetString() == "lines").ToList();
        Assert.NotEmpty(groups);
        Assert.Empty(read.Lines);
        var lines = groups.SelectMany(g => g.GetProperty("lines").EnumerateArray()).ToList();
        Assert.Equal(Enumerable.Range(11, 2990).Select(n => (long)n), lines.Select(l => l.GetProperty("seq").GetInt64()));
        Assert.All(lines, l => Assert.Equal("line", l.GetProperty("type").GetString()));
        Assert.True(groups.Count < lines.Count, "several lines share a frame");
        Assert.Equal(3000, read.End.GetProperty("lastSeq").GetInt64());

        using var bad = new System.Net.WebSockets.ClientWebSocket();
        bad.Options.CollectHttpResponseDetails = true;
        bad.Options.SetRequestHeader("Authorization", $"Bearer {daemon.Token}");
        await Assert.ThrowsAsync<WebSocketException>(() => bad.ConnectAsync(daemon.WebSocketUri($"/logs/{jobId}?batch=yes"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, bad.HttpStatusCode);
    }

    [Fact]
    public async Task Should_resume_after_a_given_seq()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);

        using var socket = await daemon.ConnectAsync($"/logs/{jobId}?after=3");
        var read = await DaemonFixture.ReadAllAsync(socket);
        Assert.Equal([4L, 5], read.Lines.Select(l => l.GetProperty("seq").GetInt64()));
        Assert.Equal(5, read.End.GetProperty("lastSeq").GetInt64());

        using var past = await daemon.ConnectAsync($"/logs/{jobId}?after=99");
        var nothing = await DaemonFixture.ReadAllAsync(past);
        Assert.Empty(nothing.Lines);
        Assert.Equal("succeeded", nothing.End.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Should_give_twenty_subscribers_joining_at_random_times_every_line_once_in_order()
    {
        const int total = 3000;
        await using var daemon = await DaemonFixture.StartAsync("many-lines.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();
        var random = new Random(42);

        var readers = Enumerable.Range(0, 20).Select(async i =>
        {
            await Task.Delay(random.Next(0, 400));
            using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
            return await DaemonFixture.ReadAllAsync(socket);
        }).ToArray();

        foreach (var read in await Task.WhenAll(readers))
        {
            Assert.Equal(WebSocketCloseStatus.NormalClosure, read.CloseStatus);
            Assert.Equal(Enumerable.Range(1, total).Select(n => (long)n), read.Lines.Select(l => l.GetProperty("seq").GetInt64()));
            Assert.Equal(Enumerable.Range(1, total).Select(n => $"line {n}"), read.Lines.Select(l => l.GetProperty("text").GetString()));
            Assert.Equal(total, read.End.GetProperty("lastSeq").GetInt64());
        }
    }

    [Fact]
    public async Task Should_end_with_the_failed_status_and_exit_code()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
        var read = await DaemonFixture.ReadAllAsync(socket);
        Assert.Equal("stderr", read.Lines.Single().GetProperty("stream").GetString());
        Assert.Equal("failed", read.End.GetProperty("status").GetString());
        Assert.Equal(3, read.End.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Should_answer_404_for_an_unknown_job_and_400_for_bad_input_before_upgrading()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        foreach (var (path, status) in new[]
                 {
                     ($"/logs/{Guid.NewGuid()}", HttpStatusCode.NotFound),
                     ("/logs/not-a-guid", HttpStatusCode.BadRequest),
                     ($"/logs/{jobId}?after=-1", HttpStatusCode.BadRequest),
                     ($"/logs/{jobId}?after=abc", HttpStatusCode.BadRequest),
                 })
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.SetRequestHeader("Authorization", $"Bearer {daemon.Token}");
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(daemon.WebSocketUri(path), CancellationToken.None));
            Assert.Equal(status, socket.HttpStatusCode);
        }

        using var plain = await daemon.Client.GetAsync($"/logs/{jobId}");
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("WebSocket", await plain.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Should_close_with_1003_on_a_binary_message_and_keep_serving()
    {
        await using var daemon = await DaemonFixture.StartAsync("slow.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
        await socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var read = await DaemonFixture.ReadAllAsync(socket);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, read.CloseStatus);

        using var again = await daemon.ConnectAsync($"/logs/{jobId}");
        // One byte over the 4 KiB limit, so only the message's last fragment crosses it.
        await again.SendAsync(Encoding.UTF8.GetBytes(new string('x', 4 * 1024 + 1)), WebSocketMessageType.Text, true, CancellationToken.None);
        var tooBig = await DaemonFixture.ReadAllAsync(again);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, tooBig.CloseStatus);
        Assert.Equal("running", (await daemon.GetJobAsync(jobId!)).GetProperty("status").GetString());
    }
}
