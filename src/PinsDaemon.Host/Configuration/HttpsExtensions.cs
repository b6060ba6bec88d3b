using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Configuration;

internal static class HttpsExtensions
{
    /// <summary>
    /// Every <c>https://</c> listener serves the certificate of <c>Https:CertificateFile</c> and
    /// <c>Https:KeyFile</c>, checked at start: a missing, unreadable or mismatched pair stops the
    /// daemon with a message naming the setting, instead of Kestrel falling back to a development
    /// certificate or failing with a stack trace.
    /// </summary>
    public static WebApplicationBuilder ConfigurePinsHttps(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpsOptions>().BindConfiguration(HttpsOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HttpsOptions>>(new HttpsOptionsValidator(builder.Configuration));
        builder.Services.AddSingleton<ServerCertificateProvider>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<ServerCertificateProvider>((kestrel, provider) =>
        {
            if (provider.Current is { } loaded)
            {
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ServerCertificate = loaded.Certificate;
                    https.ServerCertificateChain = loaded.Chain;
                });
            }
        });
        return builder;
    }

    private sealed class HttpsOptionsValidator(IConfiguration configuration) : IValidateOptions<HttpsOptions>
    {
        public ValidateOptionsResult Validate(string? name, HttpsOptions options)
        {
            if (string.IsNullOrEmpty(options.CertificateFile) && string.IsNullOrEmpty(options.KeyFile))
            {
                var https = NetworkExtensions.ConfiguredUrls(configuration)
                    .FirstOrDefault(url => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
                // Kestrel's own certificate settings still work, for whoever configured them.
                var kestrelDefault = configuration["Kestrel:Certificates:Default:Path"];
                return https is null || !string.IsNullOrEmpty(kestrelDefault)
                    ? ValidateOptionsResult.Success
                    : ValidateOptionsResult.Fail(
                        $"Listening on {https} needs a certificate: set Https:CertificateFile and Https:KeyFile to PEM files " +
                        "(the package sets both; pinsdaemon-tls(8) makes or imports them).");
            }

            var problem = ServerCertificate.Load(options).Problem;
            return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
        }
    }
}

/// <summary>The validated HTTPS certificate, loaded once; null when none is configured.</summary>
internal sealed class ServerCertificateProvider(IOptions<HttpsOptions> options)
{
    private readonly Lazy<ServerCertificate?> _current = new(() =>
        string.IsNullOrEmpty(options.Value.CertificateFile) ? null : ServerCertificate.Load(options.Value).Certificate);

    public ServerCertificate? Current => _current.Value;
}
