using PinsDaemon.Host.HostStatus;
using System.Globalization;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.AptHistory;

/// <summary>
/// Reads apt's history log one line at a time. An entry is a block of <c>Key: value</c> lines
/// between blank lines, from <c>Start-Date:</c> to <c>End-Date:</c>:
/// <code>
/// Start-Date: 2026-11-30  05:04:54
/// Commandline: apt-get install -y sl
/// Requested-By: pi (1000)
/// Install: libgpm2:amd64 (1.20.7-10+b1, automatic), sl:amd64 (5.02-1+b1)
/// End-Date: 2026-11-30  05:04:54
/// </code>
/// A block without a valid <c>Start-Date</c>, with a line that is not <c>Key: value</c>, a package
/// list that does not parse, or more lines than any real entry has, is malformed: it is counted
/// and skipped, and the next block is read normally. Owned by one reader.
/// </summary>
internal sealed class AptHistoryParser(TimeZoneInfo timeZone)
{
    /// <summary>Packages kept per entry; <see cref="AptHistoryEntry.PackageCount"/> has them all.</summary>
    public const int MaxPackagesPerEntry = 1000;

    /// <summary>A real entry has at most a dozen lines (one per action); anything far longer is not an entry.</summary>
    private const int MaxLinesPerEntry = 64;

    private static readonly string[] DateFormats = ["yyyy-MM-dd  HH:mm:ss", "yyyy-MM-dd HH:mm:ss"];

    private Block? _block;

    /// <summary>Malformed entries seen so far.</summary>
    public int Malformed { get; private set; }

    /// <summary>Takes one line; returns the entry it completed, if any.</summary>
    public AptHistoryEntry? Feed(ReadLine line)
    {
        if (line.TooLong)
        {
            // A line cut short cannot be read; the whole entry goes with it.
            _block ??= new Block();
            _block.Malformed = true;
            return null;
        }

        var text = line.Text;
        if (text.Length == 0)
        {
            return Complete();
        }

        AptHistoryEntry? completed = null;
        if (text.StartsWith("Start-Date:", StringComparison.Ordinal) && _block is not null)
        {
            // A missing blank line must not merge two runs.
            completed = Complete();
        }

        _block ??= new Block();
        if (++_block.Lines > MaxLinesPerEntry)
        {
            _block.Malformed = true;
            return completed;
        }

        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0)
        {
            _block.Malformed = true;
            return completed;
        }

        _block.Read(text[..colon], text[(colon + 2)..], timeZone);
        return completed;
    }

    /// <summary>At the end of the input: the last entry, if it was not followed by a blank line.</summary>
    public AptHistoryEntry? Finish() => Complete();

    private AptHistoryEntry? Complete()
    {
        var block = _block;
        _block = null;
        if (block is null)
        {
            return null;
        }

        if (block.Malformed || block.Start is null)
        {
            Malformed++;
            return null;
        }

        return new AptHistoryEntry(block.Start.Value, block.End, block.CommandLine, block.RequestedBy, block.Error, block.PackageCount, block.Packages);
    }

    /// <summary>apt's local time; the offset is the daemon's zone's at that moment.</summary>
    private static DateTimeOffset? ParseDate(string value, TimeZoneInfo zone)
    {
        if (!DateTime.TryParseExact(value.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        try
        {
            return new DateTimeOffset(local, zone.GetUtcOffset(local));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary><c>pi (1000)</c>; a name alone is accepted too.</summary>
    private static AptRequester ParseRequester(string value)
    {
        var open = value.LastIndexOf(" (", StringComparison.Ordinal);
        if (open > 0 && value.EndsWith(')') && long.TryParse(value.AsSpan(open + 2, value.Length - open - 3), NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
        {
            return new AptRequester(value[..open], uid);
        }

        return new AptRequester(value.Trim(), null);
    }

    /// <summary>
    /// <c>name:arch (version)</c>, <c>name:arch (version, automatic)</c> or
    /// <c>name:arch (old, new)</c>, joined by <c>", "</c>. Versions never contain spaces,
    /// commas or parentheses (Debian policy), so <c>"), "</c> separates packages.
    /// </summary>
    private static bool TryAddPackages(Block block, string action, string value)
    {
        foreach (var item in value.Split("), ", StringSplitOptions.None))
        {
            var text = item.EndsWith(')') ? item[..^1] : item;
            var open = text.IndexOf(" (", StringComparison.Ordinal);
            if (open <= 0)
            {
                return false;
            }

            var name = text[..open];
            var inside = text[(open + 2)..];
            if (inside.Length == 0 && action is ("remove" or "purge"))
            {
                // apt writes "pkg:arch ()" when it purges what a remove left behind (only
                // configuration files, no version any more).
                AddPackage(block, name, new AptHistoryPackage(name, null, action, null, null, false));
                continue;
            }

            var versions = inside.Split(", ");
            if (versions.Length is < 1 or > 2 || versions.Any(v => v.Length == 0 || v.Contains(' ')))
            {
                return false;
            }

            var automatic = versions.Length == 2 && versions[1] == "automatic";
            string? from;
            string? to;
            switch (action)
            {
                case "upgrade" or "downgrade":
                    if (versions.Length != 2)
                    {
                        return false;
                    }

                    (from, to) = (versions[0], versions[1]);
                    break;
                case "install" or "reinstall":
                    if (versions.Length == 2 && !automatic)
                    {
                        return false;
                    }

                    (from, to) = (null, versions[0]);
                    break;
                default:
                    if (versions.Length != 1)
                    {
                        return false;
                    }

                    (from, to) = (versions[0], null);
                    break;
            }

            AddPackage(block, name, new AptHistoryPackage(name, null, action, from, to, automatic));
        }

        return true;
    }

    /// <summary>Counts the package and keeps it, with <c>name:arch</c> split, while the entry has room.</summary>
    private static void AddPackage(Block block, string name, AptHistoryPackage package)
    {
        block.PackageCount++;
        if (block.Packages.Count < MaxPackagesPerEntry)
        {
            var archColon = name.LastIndexOf(':');
            block.Packages.Add(archColon > 0 ? package with { Package = name[..archColon], Arch = name[(archColon + 1)..] } : package);
        }
    }

    private sealed class Block
    {
        public int Lines { get; set; }

        public bool Malformed { get; set; }

        public DateTimeOffset? Start { get; private set; }

        public DateTimeOffset? End { get; private set; }

        public string? CommandLine { get; private set; }

        public AptRequester? RequestedBy { get; private set; }

        public string? Error { get; private set; }

        public int PackageCount { get; set; }

        public List<AptHistoryPackage> Packages { get; } = [];

        public void Read(string key, string value, TimeZoneInfo zone)
        {
            switch (key)
            {
                case "Start-Date":
                    Start = ParseDate(value, zone);
                    Malformed |= Start is null;
                    break;
                case "End-Date":
                    End = ParseDate(value, zone);
                    Malformed |= End is null;
                    break;
                case "Commandline":
                    CommandLine = value;
                    break;
                case "Requested-By":
                    RequestedBy = ParseRequester(value);
                    break;
                case "Error":
                    Error = value;
                    break;
                case "Install" or "Upgrade" or "Downgrade" or "Remove" or "Purge" or "Reinstall":
                    Malformed |= !TryAddPackages(this, key.ToLowerInvariant(), value);
                    break;
                default:
                    // A field a newer apt may add: not an error, and not reported.
                    break;
            }
        }
    }
}
