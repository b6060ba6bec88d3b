using System.Text.RegularExpressions;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Apt;

/// <summary>
/// Reads what an apply changed from dpkg's own lines:
/// <c>Unpacking zip (3.0-13+deb12u1) over (3.0-13) ...</c> for an upgrade,
/// <c>Unpacking sl (5.02-1+b1) ...</c> for a new package.
/// </summary>
public static partial class DpkgResultParser
{
    public static bool TryParse(string line, out UpgradedPackage package)
    {
        package = null!;
        if (!line.StartsWith("Unpacking ", StringComparison.Ordinal))
        {
            return false;
        }

        var match = UnpackingLine().Match(line);
        if (!match.Success)
        {
            return false;
        }

        package = new UpgradedPackage(
            match.Groups["pkg"].Value,
            match.Groups["old"].Success ? match.Groups["old"].Value : null,
            match.Groups["new"].Value);
        return true;
    }

    [GeneratedRegex(@"^Unpacking (?<pkg>\S+) \((?<new>[^)]+)\)(?: over \((?<old>[^)]+)\))? \.\.\.")]
    private static partial Regex UnpackingLine();
}
