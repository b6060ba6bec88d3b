using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>The page's sessions over HTTP, as a browser (or a forger) would send the requests.</summary>
public sealed class SessionSpecs
{
    [Fact]
    public async Task Should_trade_the_token_for_an_http_only_strict_cookie_and_an_anti_forgery_token()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");

        using var wrong = await SignInAsync(daemon, "not-the-token-0123456789abcdef0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var right = await SignInAsync(daemon, daemon.Token);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie"));
        Assert.Matches("^pins-session=[A-Za-z0-9_-]{43}; path=/; samesite=strict; httponly$", cookie);
        Assert.DoesNotContain(daemon.Token, cookie, StringComparison.Ordinal);
        Assert.Equal("no-store", right.Headers.CacheControl!.ToString());
        var csrf = (await right.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrfToken").GetString();
        Assert.False(string.IsNullOrEmpty(csrf));

        // A reloaded page reads the same anti-forgery token back; without the cookie there is none.
        using var session = Browserish(daemon, CookieOf(right));
        Assert.Equal(csrf, (await session.GetFromJsonAsync<JsonElement>("/session")).GetProperty("csrfToken").GetString());
        using var anonymous = Cookieless(daemon);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/session")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/jobs")).StatusCode);
    }

    [Fact]
    public async Task Should_mark_the_cookie_secure_when_the_request_came_over_https()
    {
        // Through a TLS-terminating proxy the daemon trusts: the request came over HTTPS.
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Network:KnownProxies:0=127.0.0.1");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/session") { Content = DaemonFixture.Json(TokenBody(daemon.Token)) };
        request.Headers.Add("X-Forwarded-For", "192.0.2.10");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var client = Cookieless(daemon);
        using var response = await client.SendAsync(request);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Matches("^__Host-pins-session=[A-Za-z0-9_-]{43}; path=/; secure; samesite=strict; httponly$", cookie);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "token=TOKEN", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain", "{\"token\": \"TOKEN\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", "{\"token\": \"TOKEN\", \"remember\": true}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"token\": \"TOKEN\", \"token\": \"TOKEN\"}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"TOKEN\": 1}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"token\": 1}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "[\"TOKEN\"]", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"token\": \"TOKEN\"", HttpStatusCode.BadRequest)]
    public async Task Should_refuse_any_other_sign_in_body_without_repeating_the_token(string contentType, string body, HttpStatusCode expected)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var content = new StringContent(body.Replace("TOKEN", daemon.Token, StringComparison.Ordinal));
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        using var client = Cookieless(daemon);
        using var response = await client.PostAsync("/session", content);
        Assert.Equal(expected, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.DoesNotContain(daemon.Token, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_changes_made_with_the_cookie_but_without_the_anti_forgery_header()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var (cookie, csrf) = await SessionAsync(daemon);
        using var session = Browserish(daemon, cookie);
        var finished = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(finished);

        foreach (var header in new[] { null, string.Empty, "wrong", csrf[..^1] })
        {
            foreach (var path in new[] { "/upgrade", $"/jobs/{finished}/cancel", $"/jobs/{finished}/ticket" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = DaemonFixture.Json("{\"dryRun\": true}") };
                if (header is not null)
                {
                    request.Headers.Add(SessionCookie.CsrfHeader, header);
                }

                using var response = await session.SendAsync(request);
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Contains("X-CSRF-Token", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        Assert.Single((await daemon.Client.GetFromJsonAsync<JsonElement[]>("/jobs"))!);

        using var withHeader = new HttpRequestMessage(HttpMethod.Post, "/upgrade") { Content = DaemonFixture.Json("{\"dryRun\": true}") };
        withHeader.Headers.Add(SessionCookie.CsrfHeader, csrf);
        Assert.Equal(HttpStatusCode.Accepted, (await session.SendAsync(withHeader)).StatusCode);
    }

    [Fact]
    public async Task Should_keep_bearer_clients_unchanged_with_or_without_a_cookie()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var (cookie, _) = await SessionAsync(daemon);

        // The Authorization header decides, whatever cookie comes with it: no anti-forgery header needed.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upgrade") { Content = DaemonFixture.Json("{\"dryRun\": true}") };
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add("Authorization", $"Bearer {daemon.Token}");
        using var client = Cookieless(daemon);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(request)).StatusCode);

        // ... and a wrong token is refused even with a live session cookie.
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        wrong.Headers.Add("Cookie", cookie);
        wrong.Headers.Add("Authorization", "Bearer wrong-wrong-wrong-wrong-wrong-wrong-0");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task Should_open_the_log_stream_only_with_a_ticket_and_from_the_pages_own_origin()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var (cookie, csrf) = await SessionAsync(daemon);
        using var session = Browserish(daemon, cookie);
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        var ownOrigin = $"http://{daemon.BaseAddress.Authority}";

        // The cookie alone does not open it: a WebSocket takes a ticket.
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync(daemon, $"/logs/{jobId}", cookie, ownOrigin));

        var ticket = await TicketAsync(session, csrf, jobId);
        Assert.Equal(HttpStatusCode.Forbidden, await ConnectAsync(daemon, $"/logs/{jobId}?ticket={ticket}", cookie, "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await ConnectAsync(daemon, $"/logs/{jobId}?ticket={await TicketAsync(session, csrf, jobId)}", cookie, $"https://{daemon.BaseAddress.Authority}"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectAsync(daemon, $"/logs/{jobId}?ticket={await TicketAsync(session, csrf, jobId)}", cookie, ownOrigin));
    }

    [Fact]
    public async Task Should_sign_out_only_with_the_anti_forgery_header_and_end_the_sessions_tickets_too()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var (cookie, csrf) = await SessionAsync(daemon);
        using var session = Browserish(daemon, cookie);
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        var ticket = await TicketAsync(session, csrf, jobId);

        Assert.Equal(HttpStatusCode.Forbidden, (await session.DeleteAsync("/session")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/jobs")).StatusCode);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/session");
        signOut.Headers.Add(SessionCookie.CsrfHeader, csrf);
        using var signedOut = await session.SendAsync(signOut);
        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        Assert.StartsWith("pins-session=; expires=Thu, 01 Jan 1970", Assert.Single(signedOut.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/session")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync(daemon, $"/logs/{jobId}?ticket={ticket}", cookie, null));
    }

    [Fact]
    public async Task Should_keep_sessions_across_a_restart_and_end_them_all_when_the_token_changes()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        string cookie;
        await using (var first = await DaemonFixture.StartWithStorageAsync("mixed-output.sh", storage, token))
        {
            (cookie, _) = await SessionAsync(first);
        }

        var file = Path.Combine(storage, SessionStore.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.DoesNotContain(cookie.Split('=')[1], await File.ReadAllTextAsync(file), StringComparison.Ordinal);

        await using (var restarted = await DaemonFixture.StartWithStorageAsync("mixed-output.sh", storage, token))
        {
            using var session = Browserish(restarted, cookie);
            Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/jobs")).StatusCode);
        }

        await using (var rotated = await DaemonFixture.StartWithStorageAsync("mixed-output.sh", storage, DaemonFixture.NewToken()))
        {
            using var session = Browserish(rotated, cookie);
            Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/jobs")).StatusCode);
        }

        Directory.Delete(storage, recursive: true);
    }

    [Fact]
    public async Task Should_throttle_wrong_tokens_at_sign_in_but_always_take_the_right_one()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Auth:MaxFailedAttempts=2");
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(daemon, $"wrong-{i}-0123456789abcdef0123456789")).StatusCode);
        }

        using var throttled = await SignInAsync(daemon, "wrong-2-0123456789abcdef0123456789");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(daemon, daemon.Token)).StatusCode);

        await daemon.App.StopAsync();
        Assert.Contains(daemon.Logs.Lines, l => l.Contains("PinsDaemon.Audit", StringComparison.Ordinal) && l.Contains("Failed authentication", StringComparison.Ordinal) && l.Contains("/session", StringComparison.Ordinal));
        Assert.DoesNotContain(daemon.Logs.Lines, l => l.Contains(daemon.Token, StringComparison.Ordinal));
    }

    private static string TokenBody(string token) => JsonSerializer.Serialize(new { token });

    private static async Task<HttpResponseMessage> SignInAsync(DaemonFixture daemon, string token)
    {
        using var client = Cookieless(daemon);
        return await client.PostAsync("/session", DaemonFixture.Json(TokenBody(token)));
    }

    /// <summary>A client that keeps no cookies of its own: each test says exactly which cookie it sends.</summary>
    private static HttpClient Cookieless(DaemonFixture daemon) =>
        new(new HttpClientHandler { UseCookies = false }) { BaseAddress = daemon.BaseAddress };

    private static string CookieOf(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie")).Split(';')[0];

    /// <summary>A signed-in session: the cookie (name=value) and its anti-forgery token.</summary>
    private static async Task<(string Cookie, string Csrf)> SessionAsync(DaemonFixture daemon)
    {
        using var response = await SignInAsync(daemon, daemon.Token);
        response.EnsureSuccessStatusCode();
        var csrf = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrfToken").GetString()!;
        return (CookieOf(response), csrf);
    }

    /// <summary>A client that sends the session cookie on every request, as a browser does, and no token.</summary>
    private static HttpClient Browserish(DaemonFixture daemon, string cookie)
    {
        var client = Cookieless(daemon);
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    private static async Task<string> TicketAsync(HttpClient session, string csrf, string jobId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/jobs/{jobId}/ticket");
        request.Headers.Add(SessionCookie.CsrfHeader, csrf);
        using var response = await session.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
    }

    private static async Task<HttpStatusCode?> ConnectAsync(DaemonFixture daemon, string path, string cookie, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Cookie", cookie);
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

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
}
