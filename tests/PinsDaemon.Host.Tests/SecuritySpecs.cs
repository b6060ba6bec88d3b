using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class SecuritySpecs
{
    /// <summary>An HTTP client whose connections come from another loopback address: another client machine, as far as the daemon can tell.</summary>
    private static HttpClient ClientFrom(IPAddress source, Uri baseAddress, string? token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task Should_throttle_an_address_after_repeated_failures_without_affecting_other_addresses()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Auth:MaxFailedAttempts=3");
        using var attacker = ClientFrom(IPAddress.Parse("127.0.0.2"), daemon.BaseAddress, "wrong-token-wrong-token-wrong-token-00");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetAsync("/jobs")).StatusCode);
        }

        using var throttled = await attacker.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType!.MediaType);

        // The rightful client is never locked out by someone else's failures, not even from
        // the same address (a shared NAT, another local process): the right token always works.
        using var sameAddressRightToken = ClientFrom(IPAddress.Parse("127.0.0.2"), daemon.BaseAddress, daemon.Token);
        Assert.Equal(HttpStatusCode.OK, (await sameAddressRightToken.GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await sameAddressRightToken.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\":true}"))).StatusCode);
        // ...while the wrong ones stay throttled.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await attacker.GetAsync("/jobs")).StatusCode);

        // Another address with the right token is unaffected, and health stays open to all.
        using var other = ClientFrom(IPAddress.Parse("127.0.0.3"), daemon.BaseAddress, daemon.Token);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await attacker.GetAsync("/healthz")).StatusCode);
        Assert.Equal(1, (await other.GetFromJsonAsync<JsonElement>("/jobs")).GetArrayLength());

        // Every failure before the limit is audited, and the throttling once.
        await daemon.App.StopAsync();
        var audit = daemon.Logs.Lines.Where(l => l.Contains(" PinsDaemon.Audit: ")).ToList();
        Assert.Equal(3, audit.Count(l => l.Contains("Failed authentication from 127.0.0.2 for GET /jobs")));
        Assert.Single(audit, l => l.Contains("127.0.0.2") && l.Contains("throttled"));
    }

    /// <summary>A TCP connection from <paramref name="source"/> that sends nothing.</summary>
    private static async Task<Socket> IdleConnectionAsync(IPAddress source, Uri daemon)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Parse(daemon.Host), daemon.Port);
        return socket;
    }

    /// <summary>True once the server has closed the connection; reads (and drops) whatever it sent before.</summary>
    private static bool ClosedByServer(Socket socket)
    {
        var scratch = new byte[1024];
        try
        {
            while (socket.Poll(0, SelectMode.SelectRead))
            {
                if (socket.Receive(scratch) == 0)
                {
                    return true;
                }
            }

            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Should_keep_serving_the_token_holder_while_another_address_holds_510_idle_connections()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var attacker = IPAddress.Parse("127.0.0.2");
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 510; i++)
            {
                idle.Add(await IdleConnectionAsync(attacker, daemon.BaseAddress));
            }

            // The address gets its share and no more: the rest are closed at once.
            await Eventually.WaitUntilAsync(() => Task.FromResult(idle.Count(ClosedByServer) >= 510 - 100));

            Assert.Equal(HttpStatusCode.OK, (await daemon.Client.GetAsync("/jobs")).StatusCode);
            var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();
            using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
            Assert.Equal(WebSocketCloseStatus.NormalClosure, (await DaemonFixture.ReadAllAsync(socket)).CloseStatus);
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Should_close_a_connection_that_sends_no_complete_request_within_a_few_seconds()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var stopwatch = Stopwatch.StartNew();
        using var silent = await IdleConnectionAsync(IPAddress.Parse("127.0.0.2"), daemon.BaseAddress);
        using var halfRequest = await IdleConnectionAsync(IPAddress.Parse("127.0.0.2"), daemon.BaseAddress);
        await halfRequest.SendAsync("GET /jobs HTTP/1.1\r\nHost: x\r\n"u8.ToArray());

        await Eventually.WaitUntilAsync(() => Task.FromResult(ClosedByServer(silent) && ClosedByServer(halfRequest)));

        // Network:RequestTimeoutSeconds (5) plus Kestrel's one-second timer, with room for a loaded
        // machine; still under Kestrel's own 30 s default, which would close them without the setting.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(25), $"closed after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Should_not_let_a_client_forge_log_lines_through_a_path_or_a_member_name()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs%0AFORGED-LINE%0D%0A");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer wrong-wrong-wrong-wrong-wrong-wrong-0");
        Assert.Equal(HttpStatusCode.Unauthorized, (await daemon.Anonymous.SendAsync(request)).StatusCode);
        using var body = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json("{\"a\\nFORGED-MEMBER\": true}"));
        Assert.Equal(HttpStatusCode.BadRequest, body.StatusCode);
        await daemon.App.StopAsync();

        // A decoded path shows control characters as served log lines do (ControlCharacters);
        // a member name is shown as sent, with its escape.
        Assert.Contains(daemon.Logs.Lines, l => l.Contains("\u240AFORGED-LINE\u240D\u240A"));
        Assert.Contains(daemon.Logs.Lines, l => l.Contains("a\\nFORGED-MEMBER"));
        Assert.DoesNotContain(daemon.Logs.Lines, l => l.Contains("\nFORGED"));
    }

    [Fact]
    public async Task Should_ignore_X_Forwarded_For_unless_the_proxy_is_known()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Auth:MaxFailedAttempts=2");
        using var client = new HttpClient { BaseAddress = daemon.BaseAddress };
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer wrong-wrong-wrong-wrong-wrong-wrong-0");
            // A forged header must not give each attempt a fresh address.
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"198.51.100.{i}");
            await client.SendAsync(request);
        }

        using var after = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        after.Headers.TryAddWithoutValidation("Authorization", "Bearer wrong-wrong-wrong-wrong-wrong-wrong-0");
        after.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.99");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.SendAsync(after)).StatusCode);
    }

    [Fact]
    public async Task Should_open_a_stream_with_a_ticket_once_for_its_job_only()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Auth:AllowQueryToken=false");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);
        var otherJob = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;

        async Task<string> TicketAsync(string id)
        {
            using var response = await daemon.Client.PostAsync($"/jobs/{id}/ticket", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(body.GetProperty("expiresAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow.AddSeconds(31));
            Assert.Equal($"/logs/{id}?ticket={body.GetProperty("ticket").GetString()}", body.GetProperty("logsUrl").GetString());
            return body.GetProperty("ticket").GetString()!;
        }

        async Task<HttpStatusCode?> ConnectAsync(string path)
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                await socket.ConnectAsync(daemon.WebSocketUri(path), CancellationToken.None);
                await DaemonFixture.ReadAllAsync(socket);
                return HttpStatusCode.SwitchingProtocols;
            }
            catch (WebSocketException)
            {
                return socket.HttpStatusCode;
            }
        }

        var ticket = await TicketAsync(jobId);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectAsync($"/logs/{jobId}?ticket={ticket}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync($"/logs/{jobId}?ticket={ticket}"));

        var forOther = await TicketAsync(otherJob);
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync($"/logs/{jobId}?ticket={forOther}"));
        // Presented for the wrong job, it is burnt.
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync($"/logs/{otherJob}?ticket={forOther}"));

        // ?token= is turned off, the header still works, and a ticket needs the token.
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync($"/logs/{jobId}?token={daemon.Token}"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await daemon.Anonymous.PostAsync($"/jobs/{jobId}/ticket", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await daemon.Client.PostAsync($"/jobs/{Guid.NewGuid()}/ticket", null)).StatusCode);

        await daemon.App.StopAsync();
        Assert.DoesNotContain(daemon.Logs.Lines, l => l.Contains(ticket) || l.Contains(forOther));
    }

    [Fact]
    public void Should_expire_tickets_after_thirty_seconds()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var tickets = new Auth.TicketStore(clock);
        var stream = ApiPaths.Logs(JobId.New());
        var issued = tickets.Issue(stream)!;
        clock.Now += Auth.TicketStore.Lifetime + TimeSpan.FromMilliseconds(1);
        Assert.False(tickets.Redeem(issued.Ticket, stream));

        var fresh = tickets.Issue(stream)!;
        clock.Now += TimeSpan.FromSeconds(29);
        Assert.True(tickets.Redeem(fresh.Ticket, stream));
    }

    [Fact]
    public async Task Should_refuse_a_websocket_from_a_foreign_origin_with_403()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Auth:AllowedOrigins:0=https://dash.example");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        using var evil = new ClientWebSocket();
        evil.Options.CollectHttpResponseDetails = true;
        evil.Options.SetRequestHeader("Authorization", $"Bearer {daemon.Token}");
        evil.Options.SetRequestHeader("Origin", "https://evil.example");
        await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(daemon.WebSocketUri($"/logs/{jobId}"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, evil.HttpStatusCode);

        using var allowed = new ClientWebSocket();
        allowed.Options.SetRequestHeader("Authorization", $"Bearer {daemon.Token}");
        allowed.Options.SetRequestHeader("Origin", "https://dash.example");
        await allowed.ConnectAsync(daemon.WebSocketUri($"/logs/{jobId}"), CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await DaemonFixture.ReadAllAsync(allowed)).CloseStatus);
    }

    [Fact]
    public async Task Should_cap_log_streams_per_address()
    {
        await using var daemon = await DaemonFixture.StartAsync("slow.sh", "--Streaming:MaxConnectionsPerAddress=2");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();
        using var first = await daemon.ConnectAsync($"/logs/{jobId}");
        using var second = await daemon.ConnectAsync($"/logs/{jobId}");

        using var third = new ClientWebSocket();
        third.Options.CollectHttpResponseDetails = true;
        third.Options.SetRequestHeader("Authorization", $"Bearer {daemon.Token}");
        await Assert.ThrowsAsync<WebSocketException>(() => third.ConnectAsync(daemon.WebSocketUri($"/logs/{jobId}"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.HttpStatusCode);

        // Closing one frees its slot.
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Eventually.WaitUntilAsync(async () =>
        {
            using var retry = new ClientWebSocket();
            retry.Options.SetRequestHeader("Authorization", $"Bearer {daemon.Token}");
            try
            {
                await retry.ConnectAsync(daemon.WebSocketUri($"/logs/{jobId}"), CancellationToken.None);
                return true;
            }
            catch (WebSocketException)
            {
                return false;
            }
        });
    }

    [Fact]
    public async Task Should_close_a_client_that_stops_reading_with_1013_while_a_reader_gets_every_line()
    {
        await using var daemon = await DaemonFixture.StartAsync("wide-lines.sh", "--Streaming:StallTimeoutSeconds=2");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        using var stalled = await daemon.ConnectAsync($"/logs/{jobId}");
        using var healthy = await daemon.ConnectAsync($"/logs/{jobId}");

        var read = await DaemonFixture.ReadAllAsync(healthy, TimeSpan.FromSeconds(60));
        var seqs = read.Lines.Select(l => l.GetProperty("seq").GetInt64()).ToList();
        var firstGap = seqs.Select((seq, i) => (seq, i)).FirstOrDefault(p => p.seq != p.i + 1);
        Assert.True(100_000 == read.Lines.Count, $"{read.Lines.Count} lines, gap at {firstGap}, closed {read.CloseStatus}, logs: {string.Join(" | ", daemon.Logs.Lines.Where(l => l.Contains("Job ") || l.Contains("missing")).Take(10))}");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, read.CloseStatus);

        // Read nothing for longer than the stall timeout, then see how the server ended it.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var stalledRead = await DaemonFixture.ReadAllAsync(stalled, TimeSpan.FromSeconds(60));
        Assert.Equal((WebSocketCloseStatus)1013, stalledRead.CloseStatus);
        Assert.True(stalledRead.Lines.Count < 100_000);
        Assert.Equal("succeeded", (await daemon.GetJobAsync(jobId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Should_say_goodbye_with_a_final_frame_and_1001_and_leave_the_run_alone_on_SIGTERM()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        using var daemon = await DaemonProcess.StartAsync("slow.sh", storage, token);
        using var client = new HttpClient { BaseAddress = daemon.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var started = await client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"));
        var jobId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString()!;

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        await socket.ConnectAsync(new Uri($"ws://{daemon.BaseAddress.Authority}/logs/{jobId}"), CancellationToken.None);
        await Eventually.WaitUntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}")).GetProperty("lineCount").GetInt64() == 1);

        var stopwatch = Stopwatch.StartNew();
        daemon.Terminate();
        var read = await DaemonFixture.ReadAllAsync(socket);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, read.CloseStatus);
        var goodbye = read.Frames[^1];
        Assert.Equal("shutdown", goodbye.GetProperty("type").GetString());
        Assert.Equal(1, goodbye.GetProperty("lastSeq").GetInt64());

        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "the daemon should exit well within the unit's stop timeout");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30));
        // The run is not the daemon's to stop: it goes on, and the job stays running on disk
        // for the next daemon to follow.
        var meta = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(storage, "jobs", jobId, "job.json"))).RootElement;
        Assert.Equal("running", meta.GetProperty("status").GetString());
        Assert.True(TestRuns.IsAlive(TestRuns.Pid(storage, jobId)!.Value));
        await TestRuns.DeleteStorageAsync(storage);
    }

    /// <summary>
    /// Stands in for Kestrel where a test needs the daemon to believe it listens on a network
    /// address: tests listen on loopback only. It reports the configured addresses and opens none.
    /// </summary>
    private sealed class NotListeningServer : Microsoft.AspNetCore.Hosting.Server.IServer
    {
        public Microsoft.AspNetCore.Http.Features.IFeatureCollection Features { get; } = new Microsoft.AspNetCore.Http.Features.FeatureCollection();

        public NotListeningServer() =>
            Features.Set<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>(new Microsoft.AspNetCore.Hosting.Server.Features.ServerAddressesFeature());

        public Task StartAsync<TContext>(Microsoft.AspNetCore.Hosting.Server.IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Should_refuse_plain_http_on_a_network_address_unless_allowed()
    {
        string[] onTheNetwork = ["--urls", "http://0.0.0.0:5180", $"--API_TOKEN={DaemonFixture.NewToken()}", "--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}"];
        WebApplication BuildWithoutListening(string[] args, CapturingLoggerProvider? logs = null)
        {
            var builder = DaemonApp.CreateBuilder(args);
            builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, NotListeningServer>();
            if (logs is not null)
            {
                builder.Logging.AddProvider(logs);
            }

            return DaemonApp.Build(builder);
        }

        await using (var refused = BuildWithoutListening(onTheNetwork))
        {
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => refused.StartAsync());
            Assert.Contains("clear text", ex.Message);
            Assert.Contains("Network:AllowPlainHttpOnNetwork", ex.Message);
        }

        var logs = new CapturingLoggerProvider();
        await using var allowed = BuildWithoutListening([.. onTheNetwork, "--Network:AllowPlainHttpOnNetwork=true"], logs);
        await allowed.StartAsync();
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning") && l.Contains("http://0.0.0.0:5180") && l.Contains("clear text"));
        await allowed.StopAsync();
    }

    [Fact]
    public async Task Should_serve_https_from_a_pem_certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var directory = Directory.CreateTempSubdirectory("pinsdaemon-tls").FullName;
        var certPath = Path.Combine(directory, "tls.crt");
        var keyPath = Path.Combine(directory, "tls.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        await using var daemon = await DaemonFixture.StartAsync(
            "mixed-output.sh",
            "--urls", "https://127.0.0.1:0",
            $"--Kestrel:Certificates:Default:Path={certPath}",
            $"--Kestrel:Certificates:Default:KeyPath={keyPath}");
        Assert.Equal("https", daemon.BaseAddress.Scheme);

        using var handler = new HttpClientHandler
        {
            // Trust exactly this certificate.
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var client = new HttpClient(handler) { BaseAddress = daemon.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", daemon.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"))).StatusCode);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Should_refuse_to_start_when_the_root_script_or_a_directory_above_it_is_writable_by_others()
    {
        var directory = Directory.CreateTempSubdirectory("pinsdaemon-selfcheck").FullName;
        var script = Path.Combine(directory, "system-upgrade.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\nexit 0\n");
        const UnixFileMode rwxr_xr_x = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(script, rwxr_xr_x);
        try
        {
            string[] args = ["--urls", "http://127.0.0.1:0", $"--API_TOKEN={DaemonFixture.NewToken()}", "--Upgrade:UseSudo=true", $"--Upgrade:ScriptPath={script}", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}"];

            File.SetUnixFileMode(directory, rwxr_xr_x | UnixFileMode.OtherWrite);
            await using (var app = DaemonFixture.Build(args))
            {
                var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
                Assert.Contains(directory, ex.Message);
                Assert.Contains("Upgrade:ScriptPath", ex.Message);
            }

            File.SetUnixFileMode(directory, rwxr_xr_x);
            File.SetUnixFileMode(script, rwxr_xr_x | UnixFileMode.GroupWrite);
            await using (var app = DaemonFixture.Build(args))
            {
                var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
                Assert.Contains(script, ex.Message);
            }

            if (Environment.UserName == "root")
            {
                // Root's own script in root's own directory (under the sticky /tmp) is accepted.
                File.SetUnixFileMode(script, rwxr_xr_x);
                await using var app = DaemonFixture.Build(args);
                await app.StartAsync();
                await app.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Should_refuse_a_root_script_that_is_a_symlink_into_a_directory_another_user_owns()
    {
        if (Environment.UserName != "root")
        {
            // Only root can build the case: a root-owned directory and a directory of another user.
            return;
        }

        const UnixFileMode rwxr_xr_x = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var top = Directory.CreateTempSubdirectory("pinsdaemon-realpath").FullName;
        try
        {
            File.SetUnixFileMode(top, rwxr_xr_x);
            // A directory of "nobody": that user can swap the script for anything.
            var theirs = Directory.CreateDirectory(Path.Combine(top, "theirs")).FullName;
            File.SetUnixFileMode(theirs, rwxr_xr_x);
            using (var chown = Process.Start("chown", ["65534:65534", theirs])!)
            {
                await chown.WaitForExitAsync();
                Assert.Equal(0, chown.ExitCode);
            }

            var real = Path.Combine(theirs, "system-upgrade.sh");
            await File.WriteAllTextAsync(real, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(real, rwxr_xr_x);

            // Root's own directory, root's own symlink: only where it leads is wrong.
            var ours = Directory.CreateDirectory(Path.Combine(top, "ours")).FullName;
            File.SetUnixFileMode(ours, rwxr_xr_x);
            var script = Path.Combine(ours, "system-upgrade.sh");
            File.CreateSymbolicLink(script, real);

            string[] args = ["--urls", "http://127.0.0.1:0", $"--API_TOKEN={DaemonFixture.NewToken()}", "--Upgrade:UseSudo=true", $"--Upgrade:ScriptPath={script}", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}"];
            await using (var app = DaemonFixture.Build(args))
            {
                var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
                Assert.Contains($"'{theirs}' is owned by uid 65534", ex.Message);
            }

            // A directory on the way that is a symlink into theirs is refused the same way.
            var linkedDirectory = Path.Combine(ours, "bin");
            File.CreateSymbolicLink(linkedDirectory, theirs);
            await using (var app = DaemonFixture.Build([.. args, $"--Upgrade:ScriptPath={Path.Combine(linkedDirectory, "system-upgrade.sh")}"]))
            {
                var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
                Assert.Contains($"'{theirs}' is owned by uid 65534", ex.Message);
            }

            // Moved into root's directory, the same script is accepted, still reached through a symlink.
            File.Delete(script);
            File.Move(real, Path.Combine(ours, "real-upgrade.sh"));
            File.CreateSymbolicLink(script, Path.Combine(ours, "real-upgrade.sh"));
            await using (var app = DaemonFixture.Build(args))
            {
                await app.StartAsync();
                await app.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(top, recursive: true);
        }
    }

    [Fact]
    public async Task Should_refuse_a_token_file_readable_by_other_users()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, DaemonFixture.NewToken());
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        try
        {
            await using var app = DaemonFixture.Build(["--urls", "http://127.0.0.1:0", $"--Auth:TokenFile={file}", "--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}"]);
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
            Assert.Contains(file, ex.Message);
            Assert.Contains("readable", ex.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
