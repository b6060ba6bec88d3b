using System.CommandLine;
using PinsDaemon.Cli.Output;

namespace PinsDaemon.Cli.Commands;

/// <summary>What every command's action gets: the parsed command line and the process's streams.</summary>
internal sealed record Invocation(ParseResult Parse, Terminal Terminal, StatusReporter Status)
{
    public bool Json => Parse.GetValue(CommonOptions.Json);

    public T? Value<T>(Option<T> option) => Parse.GetValue(option);

    public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>
    /// Runs <paramref name="action"/> as a command's action: a <see cref="CliException"/> becomes
    /// its message on stderr and its exit code; Ctrl+C ends with 130 (the job itself goes on).
    /// </summary>
    public static void Bind(Command command, Func<Invocation, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, ct) =>
        {
            var terminal = Terminal.FromConsole();
            using var status = new StatusReporter(terminal);
            try
            {
                return await action(new Invocation(parse, terminal, status), ct);
            }
            catch (CliException ex)
            {
                status.EndJob();
                status.Error(ex.Message);
                return ex.ExitCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                status.EndJob();
                status.Info("Interrupted.");
                return ExitCodes.Interrupted;
            }
        });
    }
}
