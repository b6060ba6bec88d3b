using System.Net;
using System.Net.WebSockets;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class AuthSpecs
{
    public static TheoryData<string?> BadAuthorizationHeaders() =>
    [
        null,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer wrong-token-of-some-length-000000000000000",
    ];

    [Theory]
    [MemberData(nameof(BadAuthorizationHeaders))]
    public async Task Should_refuse_every_endpoint_but_health_without_the_right_token(string? header)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        foreach (var (method, path) in new[] { ("POST", "/upgrade"), ("GET", "/jobs"), ("GET", $"/jobs/{Guid.NewGuid()}"), ("GET", "/nonexistent") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = DaemonFixture.Json("{\"dryRun\": true}") };
            if (header is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", header);
            }

            using var response = await daemon.Anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.First().Scheme);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }

        Assert.Equal(0, (await daemon.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/jobs")).GetArrayLength());
    }

    [Fact]
    public async Task Should_say_in_the_401_where_this_daemon_takes_its_token_from()
    {
        string[] noToken = ["--urls", "http://127.0.0.1:0", "--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}"];
        async Task<string> DetailAsync(string[] args)
        {
            await using var app = DaemonFixture.Build([.. noToken, .. args]);
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using var response = await client.GetAsync("/jobs");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("detail").GetString()!;
        }

        var fromEnvironment = await DetailAsync([$"--API_TOKEN={DaemonFixture.NewToken()}"]);
        Assert.Contains("API_TOKEN", fromEnvironment);
        Assert.DoesNotContain("file", fromEnvironment);

        Assert.Contains("Auth:Token", await DetailAsync([$"--Auth:Token={DaemonFixture.NewToken()}"]));

        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, DaemonFixture.NewToken());
        try
        {
            var fromFile = await DetailAsync([$"--Auth:TokenFile={file}"]);
            Assert.Contains("Auth:TokenFile", fromFile);
            Assert.DoesNotContain("API_TOKEN", fromFile);
            // Where the file is stays the operator's business.
            Assert.DoesNotContain(file, fromFile);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Should_refuse_a_token_that_differs_in_its_last_character_or_length()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var last = daemon.Token[^1] == 'A' ? 'B' : 'A';
        foreach (var token in new[] { daemon.Token[..^1] + last, daemon.Token[..^1], daemon.Token + "A", daemon.Token.ToUpperInvariant() })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
            using var response = await daemon.Anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Should_refuse_two_authorization_headers_even_if_one_is_right()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.TryAddWithoutValidation("Authorization", [$"Bearer {daemon.Token}", "Bearer nope"]);
        using var response = await daemon.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Should_accept_the_token_in_the_query_only_for_the_log_stream()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var jobs = await daemon.Anonymous.GetAsync($"/jobs?token={daemon.Token}");
        Assert.Equal(HttpStatusCode.Unauthorized, jobs.StatusCode);

        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();
        using var socket = await daemon.ConnectAsync($"/logs/{jobId}?token={Uri.EscapeDataString(daemon.Token)}", sendToken: false);
        var read = await DaemonFixture.ReadAllAsync(socket);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, read.CloseStatus);
    }

    [Fact]
    public async Task Should_refuse_the_websocket_upgrade_with_401_without_a_valid_token()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        foreach (var query in new[] { string.Empty, "?token=wrong", $"?token={daemon.Token}&token={daemon.Token}" })
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(daemon.WebSocketUri($"/logs/{jobId}{query}"), CancellationToken.None));
            Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        }
    }

    [Fact]
    public async Task Should_never_write_the_token_to_any_log_line()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();
        using (var socket = await daemon.ConnectAsync($"/logs/{jobId}?token={daemon.Token}", sendToken: false))
        {
            await DaemonFixture.ReadAllAsync(socket);
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, $"/logs/{jobId}?token={daemon.Token}x"))
        {
            using var _ = await daemon.Anonymous.SendAsync(wrong);
        }

        await daemon.Client.GetAsync("/jobs");
        await daemon.App.StopAsync();

        Assert.NotEmpty(daemon.Logs.Lines);
        Assert.Contains(daemon.Logs.Lines, l => l.Contains(jobId!));
        Assert.DoesNotContain(daemon.Logs.Lines, l => l.Contains(daemon.Token[..16]));
    }

    [Fact]
    public async Task Should_keep_the_token_and_tickets_out_of_the_console_log_whatever_level_its_own_settings_ask_for()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        // The console provider's own settings outrank settings for all providers; the most
        // specific categories are named too.
        var verbose = new Dictionary<string, string>
        {
            ["Logging__Console__LogLevel__Default"] = "Debug",
            ["Logging__Console__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__Console__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging__Console__LogLevel__Microsoft.AspNetCore.Server.Kestrel.BadRequests"] = "Trace",
            ["Logging__LogLevel__Default"] = "Trace",
        };
        string[] tickets;
        using (var daemon = await DaemonProcess.StartAsync("mixed-output.sh", storage, token, verbose))
        {
            using var client = new HttpClient { BaseAddress = daemon.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var started = await client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"));
            var jobId = (await started.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("jobId").GetString()!;
            var ws = $"ws://{daemon.BaseAddress.Authority}/logs/{jobId}";

            async Task<string> TicketAsync()
            {
                using var response = await client.PostAsync($"/jobs/{jobId}/ticket", null);
                return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("ticket").GetString()!;
            }

            tickets = [await TicketAsync(), await TicketAsync()];
            foreach (var query in new[] { $"?token={token}", $"?ticket={tickets[0]}" })
            {
                using var socket = new ClientWebSocket();
                await socket.ConnectAsync(new Uri(ws + query), CancellationToken.None);
                await DaemonFixture.ReadAllAsync(socket);
            }

            using var anonymous = new HttpClient { BaseAddress = daemon.BaseAddress };
            await anonymous.GetAsync($"/logs/{jobId}?token={token}");
            await anonymous.GetAsync($"/logs/{jobId}?ticket={tickets[1]}");
            await anonymous.GetAsync($"/logs/{jobId}?token={token}x");
            // A malformed request line that carries the token: Kestrel describes bad requests.
            using (var raw = new System.Net.Sockets.TcpClient())
            {
                await raw.ConnectAsync(daemon.BaseAddress.Host, daemon.BaseAddress.Port);
                var stream = raw.GetStream();
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /lo gs/{jobId}?token={token} HTTP/1.1\r\nHost: x\r\n\r\n"));
                // Kestrel answers 400 and closes; reading to the end waits for that.
                await stream.CopyToAsync(Stream.Null);
            }

            daemon.Terminate();
            Assert.True(await daemon.WaitForExitAndOutputAsync(TimeSpan.FromSeconds(30)));
            var output = daemon.Output.ToList();

            // The settings took effect: ASP.NET Core's debug lines are there.
            Assert.Contains(output, l => l.StartsWith("dbug: Microsoft.AspNetCore", StringComparison.Ordinal));
            Assert.Contains(output, l => l.Contains(jobId));
            Assert.DoesNotContain(output, l => l.Contains(token));
            Assert.DoesNotContain(output, l => l.Contains(tickets[0]) || l.Contains(tickets[1]));
        }

        Directory.Delete(storage, recursive: true);
    }
}
