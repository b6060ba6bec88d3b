using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Storage;

namespace PinsDaemon.Host.Configuration;

internal static class ConfigurationExtensions
{
    /// <summary>Binds and validates every setting; a bad one stops the daemon at start with its name.</summary>
    public static IServiceCollection AddPinsOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .PostConfigure(options =>
            {
                // The seed's unit file sets API_TOKEN; it is the same setting as Auth:Token.
                if (string.IsNullOrEmpty(options.Token) && !string.IsNullOrEmpty(configuration[TokenSource.EnvironmentKey]))
                {
                    options.Token = configuration[TokenSource.EnvironmentKey];
                    options.TokenFromEnvironmentKey = true;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();

        services.AddOptions<UpgradeOptions>()
            .BindConfiguration(UpgradeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpgradeOptions>, UpgradeOptionsValidator>();

        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<StreamingOptions>()
            .BindConfiguration(StreamingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Directory));

        return services;
    }
}
