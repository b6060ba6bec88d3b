using System.Text.RegularExpressions;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Apt;

/// <summary>
/// Reads the lines <c>apt-get -s</c> prints for each package it would touch:
/// <c>Inst pkg [old] (new origins [arch])</c> (no <c>[old]</c> for a new package),
/// <c>Conf pkg (ver origins [arch])</c>, <c>Remv pkg [ver]</c>, <c>Purg pkg [ver]</c>.
/// Anything after the closing parenthesis (apt sometimes adds <c>[]</c>) is ignored.
/// </summary>
public static partial class AptPlanParser
{
    public static bool TryParse(string line, out PlanEntry entry)
    {
        entry = null!;
        if (line.Length < 6 || line[4] != ' ')
        {
            return false;
        }

        switch (line[..4])
        {
            case "Inst":
            {
                var match = InstLine().Match(line);
                if (!match.Success)
                {
                    return false;
                }

                var from = match.Groups["old"].Success ? match.Groups["old"].Value : null;
                entry = new PlanEntry(
                    match.Groups["pkg"].Value,
                    from,
                    match.Groups["new"].Value,
                    match.Groups["origin"].Value,
                    match.Groups["arch"].Value,
                    from is null ? "install" : "upgrade");
                return true;
            }

            case "Conf":
            {
                var match = ConfLine().Match(line);
                if (!match.Success)
                {
                    return false;
                }

                entry = new PlanEntry(match.Groups["pkg"].Value, null, match.Groups["new"].Value, match.Groups["origin"].Value, match.Groups["arch"].Value, "configure");
                return true;
            }

            case "Remv" or "Purg":
            {
                var match = RemoveLine().Match(line);
                if (!match.Success)
                {
                    return false;
                }

                entry = new PlanEntry(
                    match.Groups["pkg"].Value,
                    match.Groups["old"].Success ? match.Groups["old"].Value : null,
                    null,
                    null,
                    null,
                    line[0] == 'R' ? "remove" : "purge");
                return true;
            }

            default:
                return false;
        }
    }

    [GeneratedRegex(@"^Inst (?<pkg>\S+) (?:\[(?<old>[^\]]+)\] )?\((?<new>\S+) (?<origin>.+?) \[(?<arch>[^\]]+)\]\)")]
    private static partial Regex InstLine();

    [GeneratedRegex(@"^Conf (?<pkg>\S+) \((?<new>\S+) (?<origin>.+?) \[(?<arch>[^\]]+)\]\)")]
    private static partial Regex ConfLine();

    [GeneratedRegex(@"^(?:Remv|Purg) (?<pkg>\S+)(?: \[(?<old>[^\]]+)\])?")]
    private static partial Regex RemoveLine();
}
