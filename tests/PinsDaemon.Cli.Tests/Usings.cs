global using PinsDaemon.Cli.Tests.TestSupport;
global using PinsDaemon.Host.Tests.TestSupport;
