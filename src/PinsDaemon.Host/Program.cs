using PinsDaemon.Host;

// Every way the daemon can fail to start ends here with one message and a documented exit code
// (README, "Exit codes"); the host's own "Hosting failed to start" log line is left out
// (LoggingExtensions), so a configuration mistake reads as one line, not a stack trace.
try
{
    var app = DaemonApp.Build(DaemonApp.CreateBuilder(args));
    await app.RunAsync();
    // Non-zero when Akka.Hosting saw the actor system go down on its own (a fleet node downed by
    // the split-brain resolver sets -1): systemd's Restart=on-failure then restarts the daemon,
    // and it rejoins the fleet. A normal stop leaves it 0.
    return Environment.ExitCode;
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } failure)
{
    foreach (var line in failure.Lines)
    {
        Console.Error.WriteLine($"pinsdaemon: {line}");
    }

    return failure.ExitCode;
}
