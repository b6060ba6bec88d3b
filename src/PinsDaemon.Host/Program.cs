using Microsoft.Extensions.Options;
using PinsDaemon.Host;

try
{
    var app = DaemonApp.Build(DaemonApp.CreateBuilder(args));
    await app.RunAsync();
    // Non-zero when Akka.Hosting saw the actor system go down on its own (a fleet node downed by
    // the split-brain resolver sets -1): systemd's Restart=on-failure then restarts the daemon,
    // and it rejoins the fleet. A normal stop leaves it 0.
    return Environment.ExitCode;
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
catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"pinsdaemon: configuration error: {ex.Message}");
    return 78;
}
