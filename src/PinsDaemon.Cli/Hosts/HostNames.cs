using System.Text.RegularExpressions;

namespace PinsDaemon.Cli.Hosts;

/// <summary>What <c>pins hosts add NAME</c> accepts: a short word a person types after <c>--host</c>.</summary>
internal static partial class HostNames
{
    public const string Rule = "a name is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\z")]
    private static partial Regex Pattern();
}
