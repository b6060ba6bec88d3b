using Microsoft.Extensions.Options;
using PinsDaemon.Host;
using PinsDaemon.Host.Configuration;

try
{
    var app = DaemonApp.Build(DaemonApp.CreateBuilder(args));
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A bad setting: say which, and exit with EX_CONFIG so systemd does not restart in a loop.
    foreach (var failure in ex.Failures)
    {
        Console.Error.WriteLine($"pinsdaemon: configuration error: {failure}");
    }

    return 78;
}
catch (SettingsFileException ex)
{
    Console.Error.WriteLine($"pinsdaemon: configuration error: {ex.Message}");
    return 78;
}
catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"pinsdaemon: configuration error: {ex.Message}");
    return 78;
}
