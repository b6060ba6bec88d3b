using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host;

/// <summary>Turns an exception that stopped the daemon into what to print and the exit code, by its type.</summary>
internal static class StartupFailure
{
    public sealed record Failure(IReadOnlyList<string> Lines, int ExitCode);

    public static Failure? Describe(Exception exception)
    {
        switch (exception)
        {
            case OptionsValidationException invalid:
                // One line per wrong setting, each naming it; no stack trace.
                return new Failure([.. invalid.Failures.Select(failure => $"configuration error: {failure}")], ExitCodes.Configuration);
            case SettingsFileException settings:
                // The settings file (SettingsFile) is missing, malformed or writable by others.
                return new Failure([$"configuration error: {settings.Message}"], ExitCodes.Configuration);
            case not null when Fleet.FleetWiring.ConfigurationProblem(exception) is { } fleet:
                // A fleet certificate, data directory or agent journal that cannot be used: the message names it.
                return new Failure([$"configuration error: {fleet}"], ExitCodes.Configuration);
            case IOException listen when Find<AddressInUseException>(listen) is not null:
                // Kestrel's message names the address: "Failed to bind to address http://127.0.0.1:5180: address already in use."
                return new Failure([$"{listen.Message.TrimEnd('.')}. Is another pinsdaemon running? Stop it, or set --urls."], ExitCodes.CannotListen);
            case IOException listen when Find<SocketException>(listen) is not null:
                return new Failure([listen.Message], ExitCodes.CannotListen);
            default:
                return new Failure([$"failed to start: {exception}"], ExitCodes.InternalError);
        }
    }

    private static T? Find<T>(Exception exception)
        where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
