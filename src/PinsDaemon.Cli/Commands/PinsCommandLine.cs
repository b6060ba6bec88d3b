using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using PinsDaemon.Cli.Hosts;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Commands;

/// <summary>The <c>pins</c> command line: its commands, its help, and exit code 64 for usage errors.</summary>
internal static class PinsCommandLine
{
    /// <summary>Ctrl+C: the action gets this long to say where it stopped before the process ends.</summary>
    private static readonly TimeSpan TerminationTimeout = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        // Help is shown even for an incomplete command line ("pins logs --help" has no ID).
        if (parse.Errors.Count > 0 && parse.Action is not HelpWithExitCodes)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"pins: {Describe(parse, error.Message)}");
            }

            Console.Error.WriteLine("Run 'pins --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TerminationTimeout });
    }

    public static RootCommand Build()
    {
        var root = new RootCommand(Description())
        {
            CommonOptions.Json,
            HostsCommands.Build(),
            UpgradeCommand.Build(),
            JobCommands.Jobs(),
            JobCommands.Show(),
            JobCommands.Logs(),
            JobCommands.Cancel(),
            RebootCommand.Build(),
            FleetCommands.Build(),
        };
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            help.Action = new HelpWithExitCodes((HelpAction)help.Action!);
        }

        return root;
    }

    /// <summary>
    /// A parse error, in words; for <c>hosts add</c> with an extra argument (a token pasted
    /// on the command line, most likely) the argument is not repeated back.
    /// </summary>
    private static string Describe(ParseResult parse, string message)
    {
        if (parse.CommandResult.Command.Name == "add" && parse.UnmatchedTokens.Count > 0)
        {
            return "pins hosts add takes NAME and URL only. The token is read from stdin or --token-file, never from the command line, where other users can read it.";
        }

        return ControlCharacters.Neutralize(message);
    }

    private static string Description()
    {
        string file;
        try
        {
            file = HostsFile.DefaultPath();
        }
        catch (CliException)
        {
            file = "$XDG_CONFIG_HOME/pins/hosts.json";
        }

        return $"""
            Upgrade hosts running PinsDaemon, and follow their upgrades.

            Hosts are added with 'pins hosts add NAME URL' (token on stdin) and kept in {file}
            (mode 0600). Scripts can name one without that file: PINS_URL with PINS_TOKEN or
            PINS_TOKEN_FILE. Log lines go to stdout, status to stderr.
            """;
    }

    /// <summary>The usual help, then the exit codes, on every command.</summary>
    private sealed class HelpWithExitCodes(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(ExitCodes.HelpText);
            return code;
        }
    }
}
