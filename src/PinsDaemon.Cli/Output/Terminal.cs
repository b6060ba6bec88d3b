using Spectre.Console;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// The process's standard streams and what each is connected to. Log lines go to stdout, what
/// pins itself has to say goes to stderr, so <c>pins logs ID &gt; file</c> holds the log alone.
/// </summary>
internal sealed class Terminal
{
    private Terminal(IAnsiConsole output, IAnsiConsole error)
    {
        Output = output;
        Error = error;
    }

    public static Terminal FromConsole() => new(
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }),
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }));

    /// <summary>stdout, for tables when it is a terminal.</summary>
    public IAnsiConsole Output { get; }

    /// <summary>stderr: status, prompts, the live progress line.</summary>
    public IAnsiConsole Error { get; }

    public bool InputIsTerminal => !Console.IsInputRedirected;

    public bool OutputIsTerminal => !Console.IsOutputRedirected;

    public bool ErrorIsTerminal => !Console.IsErrorRedirected;

    /// <summary>A progress line redrawn in place needs a terminal that understands cursor control.</summary>
    public bool LiveStatus => ErrorIsTerminal && Error.Profile.Capabilities.Ansi;

    /// <summary>A person can answer a question: stdin and stderr are both a terminal.</summary>
    public bool CanAsk => InputIsTerminal && ErrorIsTerminal;
}
