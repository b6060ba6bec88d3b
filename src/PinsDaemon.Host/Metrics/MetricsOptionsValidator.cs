using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Metrics;

/// <summary>Stops the daemon at start, naming <c>Metrics:TokenFile</c>, when the metrics token is unusable or is the admin token.</summary>
internal sealed class MetricsOptionsValidator(IOptions<AuthOptions> auth) : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        if (string.IsNullOrEmpty(options.TokenFile))
        {
            return ValidateOptionsResult.Success;
        }

        var metrics = TokenSource.LoadFile(options.TokenFile, "Metrics:TokenFile");
        if (metrics.Problem is not null)
        {
            return ValidateOptionsResult.Fail(metrics.Problem);
        }

        return TokenSource.Load(auth.Value).Token == metrics.Token
            ? ValidateOptionsResult.Fail(
                "Metrics:TokenFile holds the admin token. Give Prometheus a token of its own: the admin token can upgrade the machine, the metrics token can only read /metrics.")
            : ValidateOptionsResult.Success;
    }
}
