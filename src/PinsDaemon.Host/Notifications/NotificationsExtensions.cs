using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Notifications;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Notifications;

/// <summary>Binds and checks <c>Notifications:*</c> at start, and builds what the dispatcher needs from it.</summary>
internal static class NotificationsExtensions
{
    public static IServiceCollection AddPinsNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>()
            .BindSection(NotificationOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<NotificationOptions>>().Value;
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new NotificationSettings(
                NotificationTargets.Load(options).Targets,
                Path.Combine(storage.Directory, "notifications"),
                Environment.MachineName,
                options.FirstRetryDelay,
                options.MaxRetryDelay,
                options.MaxAttempts);
        });
        services.AddSingleton<INotificationSender, HttpNotificationSender>();
        return services;
    }

    private sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
    {
        public ValidateOptionsResult Validate(string? name, NotificationOptions options)
        {
            var problems = NotificationTargets.Load(options).Problems;
            if (options.FirstRetryDelay < TimeSpan.FromMilliseconds(100) || options.FirstRetryDelay > TimeSpan.FromHours(1))
            {
                problems.Add("Notifications:FirstRetryDelay must be between 00:00:00.1 and 01:00:00.");
            }

            if (options.MaxRetryDelay < options.FirstRetryDelay || options.MaxRetryDelay > TimeSpan.FromDays(1))
            {
                problems.Add("Notifications:MaxRetryDelay must be at least Notifications:FirstRetryDelay and at most 1.00:00:00.");
            }

            if (options.MaxAttempts is < 1 or > 100)
            {
                problems.Add("Notifications:MaxAttempts must be between 1 and 100.");
            }

            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
