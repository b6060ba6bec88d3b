namespace PinsDaemon.Actors.Apt;

/// <summary>
/// Reads the package lists apt prints under a heading, one indented line after another:
/// the packages an upgrade keeps back (held with <c>apt-mark hold</c>, or needing a new
/// dependency) and those installed automatically and no longer needed. Owned by one job.
/// </summary>
public sealed class AptNoticeParser(int maxEntries)
{
    private readonly List<string> _keptBack = [];
    private readonly List<string> _autoremovable = [];
    private readonly HashSet<string> _seenKeptBack = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenAutoremovable = new(StringComparer.Ordinal);
    private List<string>? _current;
    private HashSet<string>? _seen;

    public IReadOnlyList<string> KeptBack => _keptBack;

    public IReadOnlyList<string> Autoremovable => _autoremovable;

    public void Observe(string line)
    {
        switch (line)
        {
            case "The following packages have been kept back:":
                (_current, _seen) = (_keptBack, _seenKeptBack);
                return;
            // apt's singular and plural forms (ngettext), in the C locale the script runs apt in.
            case "The following package was automatically installed and is no longer required:"
                or "The following packages were automatically installed and are no longer required:":
                (_current, _seen) = (_autoremovable, _seenAutoremovable);
                return;
        }

        if (_current is null || _seen is null)
        {
            return;
        }

        if (!line.StartsWith("  ", StringComparison.Ordinal))
        {
            _current = null;
            return;
        }

        AddNames(_current, _seen, line);
    }

    /// <summary>Takes names the script sent as a status event (<c>kept-back a b</c>, <c>autoremovable c</c>).</summary>
    public void Add(AptNotice notice, string names)
    {
        if (notice == AptNotice.KeptBack)
        {
            AddNames(_keptBack, _seenKeptBack, names);
        }
        else
        {
            AddNames(_autoremovable, _seenAutoremovable, names);
        }
    }

    private void AddNames(List<string> list, HashSet<string> seen, string names)
    {
        foreach (var name in names.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // A set, not a list search: a script flooding these lines must not cost quadratic time.
            if (list.Count < maxEntries && seen.Add(name))
            {
                list.Add(name);
            }
        }
    }
}

/// <summary>The package lists apt prints after a simulation.</summary>
public enum AptNotice
{
    KeptBack,
    Autoremovable,
}
