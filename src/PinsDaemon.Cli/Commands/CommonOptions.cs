using System.CommandLine;
using System.CommandLine.Parsing;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Commands;

/// <summary>Options and arguments several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>On every command: machine-readable output on stdout.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable output on stdout: JSON as the API sends it (log lines: one JSON object per line)",
        Recursive = true,
    };

    public static Option<string?> Host() => new("--host")
    {
        Description = "The host to talk to, by the name given to 'pins hosts add' (default: PINS_URL, or the only host added)",
        HelpName = "NAME",
    };

    public static Option<bool> ExitReboot() => new("--exit-reboot")
    {
        Description = "Exit with 3 when the job succeeded and the host needs a reboot",
    };

    public static Argument<JobId> JobIdArgument() => new("ID")
    {
        Description = "The job's id, as 'pins upgrade' and 'pins jobs' print it",
        CustomParser = ParseJobId,
    };

    private static JobId ParseJobId(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (JobId.TryParse(text, out var id))
        {
            return id;
        }

        result.AddError($"'{ControlCharacters.Neutralize(text)}' is not a job id: a job id is a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301.");
        return default;
    }
}
