using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Configuration;

internal static class NetworkExtensions
{
    /// <summary>
    /// Kestrel limits set on purpose, well below the defaults: no valid request to this API has a
    /// body over 4 KiB, a URL over a few hundred bytes or more than a handful of headers.
    /// </summary>
    public static WebApplicationBuilder ConfigurePinsKestrel(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 4 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 50;
            kestrel.Limits.MaxConcurrentConnections = 500;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 200;
        });
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IConfiguration, ConnectionsPerAddress>((kestrel, configuration, perAddress) =>
        {
            // A connection that opens and says nothing is closed after KeepAliveTimeout; one
            // that starts a request and never finishes its headers after RequestHeadersTimeout.
            var timeout = TimeSpan.FromSeconds(Math.Clamp(Unvalidated(configuration).RequestTimeoutSeconds, 1, 300));
            kestrel.Limits.KeepAliveTimeout = timeout;
            kestrel.Limits.RequestHeadersTimeout = timeout;
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(perAddress.Wrap));
        });
        builder.Services.AddSingleton<ConnectionsPerAddress>();

        builder.Services.AddOptions<NetworkOptions>().BindSection(NetworkOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NetworkOptions>>(new ListenAddressValidator(builder.Configuration));
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback proxies; here only what the operator names is trusted.
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            options.ForwardLimit = 1;
        });
        builder.Services.AddSingleton<IPostConfigureOptions<ForwardedHeadersOptions>, KnownProxiesSetup>();
        return builder;
    }

    /// <summary>
    /// The Network settings as configured, unchecked. Kestrel's options are built with the host,
    /// before settings are validated at start, where a bad value stops the daemon naming it;
    /// until then a value that does not even parse leaves the default.
    /// </summary>
    private static NetworkOptions Unvalidated(IConfiguration configuration)
    {
        var network = new NetworkOptions();
        try
        {
            configuration.GetSection(NetworkOptions.SectionName).Bind(network);
        }
        catch (InvalidOperationException)
        {
            // Reported at start by the options' own binding.
        }

        return network;
    }

    /// <summary>
    /// X-Forwarded-For is read only when proxies are configured: with empty known-proxy lists the
    /// middleware would believe every sender.
    /// </summary>
    public static IApplicationBuilder UsePinsForwardedHeaders(this IApplicationBuilder app) =>
        app.UseWhen(
            context => context.RequestServices.GetRequiredService<IOptions<NetworkOptions>>().Value.KnownProxies.Length > 0,
            branch => branch.UseForwardedHeaders());

    /// <summary>Where the daemon is told to listen: <c>urls</c> (<c>--urls</c>) and Kestrel's own endpoints.</summary>
    internal static IEnumerable<string> ConfiguredUrls(IConfiguration configuration) =>
        (configuration[WebHostDefaults.ServerUrlsKey] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());

    /// <summary>True for http(s) URLs whose host is not a loopback address or <c>localhost</c>.</summary>
    internal static bool IsNetworkFacing(string url)
    {
        var host = url;
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = url[(scheme + 3)..];
        }

        var slash = host.IndexOf('/');
        if (slash >= 0)
        {
            host = host[..slash];
        }

        // Strip the port: "[::1]:80", "127.0.0.1:80", "localhost:80".
        if (host.StartsWith('['))
        {
            host = host[1..host.IndexOf(']')];
        }
        else if (host.LastIndexOf(':') is var colon and >= 0)
        {
            host = host[..colon];
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return !(IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private sealed class KnownProxiesSetup(IOptions<NetworkOptions> network) : IPostConfigureOptions<ForwardedHeadersOptions>
    {
        public void PostConfigure(string? name, ForwardedHeadersOptions options)
        {
            foreach (var proxy in network.Value.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    options.KnownProxies.Add(address);
                }
            }
        }
    }

    /// <summary>Refuses plain HTTP on a network-facing address unless the operator opted in.</summary>
    private sealed class ListenAddressValidator(IConfiguration configuration) : IValidateOptions<NetworkOptions>
    {
        public ValidateOptionsResult Validate(string? name, NetworkOptions options)
        {
            foreach (var proxy in options.KnownProxies)
            {
                if (!IPAddress.TryParse(proxy, out _))
                {
                    return ValidateOptionsResult.Fail($"Network:KnownProxies: '{proxy}' is not an IP address.");
                }
            }

            // Kestrel reads its certificates only when it binds, and a missing file then stops
            // the daemon with a stack trace: say which setting names it instead.
            foreach (var setting in CertificateFileSettings(configuration))
            {
                // Kestrel resolves a relative path against the content root, the daemon's own directory.
                if (configuration[setting] is { Length: > 0 } file && !File.Exists(Path.GetFullPath(file, AppContext.BaseDirectory)))
                {
                    return ValidateOptionsResult.Fail($"{setting}: '{file}' does not exist or cannot be read.");
                }
            }

            foreach (var url in ConfiguredUrls(configuration))
            {
                if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && IsNetworkFacing(url) && !options.AllowPlainHttpOnNetwork)
                {
                    var settingsFile = configuration[SettingsFile.Key];
                    var where = string.IsNullOrEmpty(settingsFile) ? string.Empty : $" ('AllowPlainHttpOnNetwork = true' under [Network] in {settingsFile})";
                    return ValidateOptionsResult.Fail(
                        $"Refusing to listen on {url}: over plain HTTP on a network address, the bearer token would cross the network in clear text. " +
                        "Listen on https:// (see the README's HTTPS section), keep to 127.0.0.1 behind a TLS proxy, " +
                        $"or set Network:AllowPlainHttpOnNetwork=true{where} to accept the risk.");
                }
            }

            return ValidateOptionsResult.Success;
        }

        /// <summary>The settings that name certificate and key files: the default certificate's and each endpoint's.</summary>
        private static IEnumerable<string> CertificateFileSettings(IConfiguration configuration)
        {
            var certificates = new[] { "Kestrel:Certificates:Default" }
                .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => $"{endpoint.Path}:Certificate"));
            return certificates.SelectMany(certificate => new[] { $"{certificate}:Path", $"{certificate}:KeyPath" });
        }
    }
}
