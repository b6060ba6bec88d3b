using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Metrics;

/// <summary>
/// The read-only credential of <c>GET /metrics</c>: <c>Authorization: Bearer &lt;metrics token&gt;</c>.
/// It is the only scheme <c>/metrics</c> accepts, so the admin token is refused there, and no other
/// endpoint accepts it. Compared in constant time on SHA-256 hashes, like the admin token.
/// </summary>
internal sealed class MetricsTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<MetricsOptions> metrics,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MetricsToken";

    private const string BearerPrefix = "Bearer ";

    private static readonly ClaimsPrincipal Scraper = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "metrics")], SchemeName));

    private readonly Lazy<byte[]?> _expectedHash = new(() =>
        string.IsNullOrEmpty(metrics.Value.TokenFile)
            ? null
            : TokenSource.LoadFile(metrics.Value.TokenFile, "Metrics:TokenFile").Token is { } token ? Hash(token) : null);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        if (headers.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (headers.Count > 1 || headers[0] is not { } value || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Fail("Send exactly one 'Authorization: Bearer <metrics token>' header.");
        }

        if (_expectedHash.Value is not { } expected)
        {
            // Not a failed guess: there is nothing to guess. The challenge says how to turn metrics on.
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = value[BearerPrefix.Length..].Trim();
        if (presented.Length > AuthOptions.MaxTokenLength || !CryptographicOperations.FixedTimeEquals(Hash(presented), expected))
        {
            return Fail("The metrics token is not valid. /metrics takes the token in Metrics:TokenFile, never the admin token.");
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Scraper, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = result.Failure?.Message
                    ?? (_expectedHash.Value is null
                        ? "Metrics are turned off: set Metrics:TokenFile to a file holding a token for Prometheus (not the admin token)."
                        : "Send 'Authorization: Bearer <metrics token>', the token in Metrics:TokenFile."),
            },
        });
    }

    private Task<AuthenticateResult> Fail(string message)
    {
        Context.Items[BearerTokenHandler.FailedItemKey] = true;
        return Task.FromResult(AuthenticateResult.Fail(message));
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
