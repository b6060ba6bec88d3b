using PinsDaemon.Cli.Commands;

return await PinsCommandLine.RunAsync(args);
