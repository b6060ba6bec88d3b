using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Storage;

namespace PinsDaemon.Host.Configuration;

internal static class ConfigurationExtensions
{
    /// <summary>Binds and validates every setting; a bad one stops the daemon at start with its name.</summary>
    public static IServiceCollection AddPinsOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .BindSection(AuthOptions.SectionName)
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
            .BindSection(UpgradeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpgradeOptions>, UpgradeOptionsValidator>();

        services.AddOptions<ScheduleOptions>()
            .BindSection(ScheduleOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<StorageOptions>()
            .BindSection(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<StreamingOptions>()
            .BindSection(StreamingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Directory));

        return services;
    }

    /// <summary>
    /// Binds a section like <c>BindConfiguration</c>, but a value that does not convert (say
    /// <c>Upgrade:Timeout=abc</c>) fails as a validation failure naming the setting, so the
    /// daemon reports it like any other wrong setting: by type, one line, exit code 78.
    /// </summary>
    public static OptionsBuilder<T> BindSection<T>(this OptionsBuilder<T> builder, string section)
        where T : class =>
        builder.Configure<IConfiguration>((options, configuration) =>
        {
            try
            {
                configuration.GetSection(section).Bind(options);
            }
            catch (InvalidOperationException ex)
            {
                // ConfigurationBinder's own exception type for a value it cannot convert; its
                // message names the setting and the value.
                throw new OptionsValidationException(section, typeof(T), [ex.Message]);
            }
        });
}
