using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>Random requests against the real daemon: it must never answer 5xx, nor start a job without the token.</summary>
public sealed class FuzzSpecs
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private static readonly string[] Paths =
    [
        "/", "/upgrade", "/jobs", "/jobs/", "/healthz", "/logs", "/logs/", "/jobs/x/log", "/jobs/x/ticket",
        "/jobs/00000000-0000-0000-0000-000000000000", "/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/logs/..%2F..%2F",
        "/upgrade?dryRun=false", "/jobs/3f2504e0-4f89-41d3-9a0c-0305e82c3301/log?after=-5&limit=99999999999",
    ];

    private static readonly string[] Bodies =
    [
        "", "{}", "{\"dryRun\": false}", "{\"dryRun\": true}", "[", "null", "{\"dryRun\": \"false\"}", "\u0000\u0001",
        "{\"dryRun\": true, \"dryRun\": false}", "{\"__proto__\": {}}", new string('{', 100), "{\"dryRun\": 1e999}",
    ];

    private static readonly string[] AuthorizationValues =
    [
        "", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer x", "bearer " + new string('a', 44), "Bearer %C3%A9%00",
    ];

    private sealed record FuzzRequest(string Method, string Path, string Body, string? Authorization, string? ContentType, string Noise);

    [Fact]
    public async Task Should_never_answer_5xx_nor_start_a_job_without_the_token()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Auth:MaxFailedAttempts=10000");
        var random =
            from method in Gen.Elements(Methods)
            from path in Gen.OneOf(Gen.Elements(Paths), ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => "/" + Uri.EscapeDataString(s.Get)))
            from body in Gen.OneOf(Gen.Elements(Bodies), ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get))
            from authorization in Gen.Frequency(
                (2, Gen.Constant<string?>(null)),
                (3, Gen.Elements(AuthorizationValues).Select(a => (string?)a)),
                (3, Gen.Constant<string?>($"Bearer {daemon.Token}")))
            from contentType in Gen.Elements<string?>(null, "application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16")
            from noise in ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get)
            select new FuzzRequest(method, path, body, authorization, contentType, noise);
        // Now and then a well-formed start with the token, so that jobs do start (and are refused
        // with 409 while one runs) among the noise, and the audit of those jobs can be checked.
        var validStart =
            from dryRun in Gen.Elements("true", "false")
            from noise in ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get)
            select new FuzzRequest("POST", "/upgrade", $"{{\"dryRun\": {dryRun}}}", $"Bearer {daemon.Token}", "application/json", noise);
        var gen = Gen.Frequency((9, random), (1, validStart));

        var startedWithoutToken = 0;
        var property = Prop.ForAll(gen.ToArbitrary(), request =>
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
            if (request.Method is not ("GET" or "HEAD"))
            {
                message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(request.Body));
                if (request.ContentType is not null)
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
                }
            }

            if (request.Authorization is not null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", request.Authorization);
            }

            // HttpClient sends ASCII headers only; the daemon's own limits are tested elsewhere.
            message.Headers.TryAddWithoutValidation("X-Noise", new string(request.Noise.Where(c => c is >= ' ' and <= '~').ToArray()));
            // Not a known proxy: the audit must keep the connection's address.
            message.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");
            using var response = daemon.Anonymous.SendAsync(message).GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.Accepted && request.Authorization != $"Bearer {daemon.Token}")
            {
                Interlocked.Increment(ref startedWithoutToken);
            }

            return (int)response.StatusCode < 500;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);

        // No request without the token started anything, and the daemon still serves.
        Assert.Equal(0, startedWithoutToken);
        var jobs = await daemon.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/jobs");
        // Some requests did start jobs: otherwise the next check would hold for nothing.
        Assert.NotEmpty(jobs.EnumerateArray());
        Assert.All(jobs.EnumerateArray(), job => Assert.Equal("127.0.0.1", job.GetProperty("audit")[0].GetProperty("client").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await daemon.Anonymous.GetAsync("/healthz")).StatusCode);
    }
}
