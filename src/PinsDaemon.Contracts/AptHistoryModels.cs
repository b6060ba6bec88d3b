namespace PinsDaemon.Contracts;

/// <summary>
/// The body of <c>GET /host/apt-history</c>: apt runs recorded in <c>/var/log/apt/history.log</c>
/// and its rotated files, newest first, one page at a time.
/// </summary>
/// <param name="Total">Entries found in all the files that were read.</param>
/// <param name="NextOffset">The <c>offset</c> of the next page; null on the last page.</param>
/// <param name="Skipped">Malformed entries that were skipped (and are not counted in <paramref name="Total"/>).</param>
/// <param name="Truncated">True when a read limit was reached and older history was not read (see the README).</param>
public sealed record AptHistoryPage(
    IReadOnlyList<AptHistoryEntry> Entries,
    int Offset,
    int Limit,
    int Total,
    int? NextOffset,
    int Skipped,
    bool Truncated);

/// <summary>
/// One apt run. Times are apt's local times, with the daemon's UTC offset. <paramref name="End"/>
/// is null for a run still going (or one that never finished writing its entry).
/// </summary>
/// <param name="RequestedBy">The user who ran apt through sudo (<c>Requested-By:</c>); null when apt was run as root directly or by a service.</param>
/// <param name="Error">apt's <c>Error:</c> line when the run failed.</param>
/// <param name="PackageCount">How many packages the run changed; <paramref name="Packages"/> holds at most the first 1000.</param>
public sealed record AptHistoryEntry(
    DateTimeOffset Start,
    DateTimeOffset? End,
    string? CommandLine,
    AptRequester? RequestedBy,
    string? Error,
    int PackageCount,
    IReadOnlyList<AptHistoryPackage> Packages);

/// <summary>The user behind an apt run, as apt recorded it (<c>Requested-By: pi (1000)</c>).</summary>
public sealed record AptRequester(string User, long? Uid);

/// <summary>One package of an apt run.</summary>
/// <param name="Action"><c>install</c>, <c>upgrade</c>, <c>downgrade</c>, <c>remove</c>, <c>purge</c> or <c>reinstall</c>.</param>
/// <param name="From">The version before; null for an install.</param>
/// <param name="To">The version after; null for a removal.</param>
/// <param name="Automatic">True when apt installed it as a dependency.</param>
public sealed record AptHistoryPackage(string Package, string? Arch, string Action, string? From, string? To, bool Automatic);
