using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using PinsDaemon.Contracts;
using PinsDaemon.Host.HostStatus;

namespace PinsDaemon.Host.AptHistory;

/// <summary>
/// Pages through apt's history: <c>history.log</c> and its rotated files (<c>history.log.1</c>,
/// <c>history.log.2.gz</c>, ...; logrotate's names), newest entry first. A page is read in two
/// passes over the files, one to count the entries and one to keep only the page, so memory holds
/// one page whatever the size of the history. Every read is bounded (see the constants): a huge
/// or hostile log costs at most that much work and never more memory than one page.
/// </summary>
internal sealed partial class AptHistoryReader(IOptions<HostStatusOptions> options, TimeZoneInfo timeZone)
{
    /// <summary>A real entry's longest line (a big install) is a few hundred KiB; a longer one is not apt's.</summary>
    public const int MaxLineBytes = 1024 * 1024;

    /// <summary>
    /// Bytes read from one file, after decompression. A month of history is well under 1 MiB; this
    /// bounds the work a compression bomb can cause. Of a larger plain file, the newest part is read.
    /// </summary>
    public const long MaxBytesPerFile = 32L * 1024 * 1024;

    /// <summary>Bytes read from all the files together, for one pass.</summary>
    public const long MaxBytesTotal = 128L * 1024 * 1024;

    /// <summary>logrotate keeps 12 by Debian's default; a directory with more is read up to this many.</summary>
    public const int MaxRotatedFiles = 100;

    /// <summary>Entries per page unless <c>limit</c> says otherwise, and the most it may say.</summary>
    public const int DefaultLimit = 50;

    public const int MaxLimit = 200;

    /// <summary>One history read at a time: a second request waits rather than doubling the work.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A page of entries, newest first, starting <paramref name="offset"/> entries from the newest.</summary>
    public async Task<AptHistoryPage> ReadPageAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var files = HistoryFiles(options.Value.AptHistoryLog);

            // First pass: how many entries each file holds, newest file first, within the limits.
            var counts = new List<FileCount>();
            var budget = MaxBytesTotal;
            var truncated = false;
            var skipped = 0;
            foreach (var file in files)
            {
                if (budget <= 0)
                {
                    truncated = true;
                    break;
                }

                var count = await ReadFileAsync(file, Math.Min(MaxBytesPerFile, budget), collect: null, cancellationToken);
                if (count is null)
                {
                    truncated = true;
                    break;
                }

                budget -= count.BytesRead;
                truncated |= count.Truncated;
                skipped += count.Malformed;
                counts.Add(count);
            }

            // Second pass: keep the entries of the page. Within a file entries run oldest to newest,
            // so the page's part of a file is the range counted back from its end.
            var total = counts.Sum(count => count.Entries);
            var page = new List<AptHistoryEntry>(Math.Min(limit, Math.Max(0, total - offset)));
            var before = 0;
            foreach (var count in counts)
            {
                var fileOffsetFromNewest = Math.Max(0, offset - before);
                var wanted = Math.Min(count.Entries - fileOffsetFromNewest, limit - page.Count);
                if (wanted > 0)
                {
                    // Indices (oldest first) of this file's entries that belong to the page.
                    var last = count.Entries - 1 - fileOffsetFromNewest;
                    var first = last - wanted + 1;
                    var kept = new List<AptHistoryEntry>(wanted);
                    await ReadFileAsync(count.File, count.Cap, (index, entry) =>
                    {
                        if (index >= first)
                        {
                            kept.Add(entry);
                        }

                        return index < last;
                    }, cancellationToken);
                    kept.Reverse();
                    page.AddRange(kept);
                }

                before += count.Entries;
                if (page.Count >= limit)
                {
                    break;
                }
            }

            var next = offset + page.Count < total && page.Count > 0 ? offset + page.Count : (int?)null;
            return new AptHistoryPage(page, offset, limit, total, next, skipped, truncated);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The log and its rotated files that exist, newest first.</summary>
    internal static IReadOnlyList<HistoryFile> HistoryFiles(string path)
    {
        var files = new List<HistoryFile>();
        if (File.Exists(path))
        {
            files.Add(new HistoryFile(path, Compressed: false, Rotation: 0));
        }

        var directory = Path.GetDirectoryName(path)!;
        var name = Path.GetFileName(path);
        if (!Directory.Exists(directory))
        {
            return files;
        }

        var rotated = new List<HistoryFile>();
        foreach (var candidate in Directory.EnumerateFiles(directory, name + ".*"))
        {
            var match = RotatedName().Match(Path.GetFileName(candidate)[name.Length..]);
            if (match.Success && int.TryParse(match.Groups[1].Value, out var rotation) && rotation > 0)
            {
                rotated.Add(new HistoryFile(candidate, match.Groups[2].Success, rotation));
            }
        }

        // A rotation present both plain and compressed (logrotate's delaycompress mid-run): the plain one.
        files.AddRange(rotated
            .GroupBy(file => file.Rotation)
            .Select(group => group.OrderBy(file => file.Compressed).First())
            .OrderBy(file => file.Rotation)
            .Take(MaxRotatedFiles));
        return files;
    }

    /// <summary>
    /// Reads one file within <paramref name="cap"/> bytes, handing each valid entry and its index
    /// (oldest first) to <paramref name="collect"/> until it returns false. Null when the file
    /// cannot be read whole within the cap and its entries would be out of order (a compressed
    /// file over the cap: its newest entries come last).
    /// </summary>
    private async Task<FileCount?> ReadFileAsync(HistoryFile file, long cap, Func<int, AptHistoryEntry, bool>? collect, CancellationToken cancellationToken)
    {
        var parser = new AptHistoryParser(timeZone);
        var entries = 0;
        var truncated = false;
        long bytesRead = 0;
        Stream? stream = null;
        try
        {
            var raw = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
            stream = raw;
            if (file.Compressed)
            {
                stream = new GZipStream(raw, CompressionMode.Decompress);
            }
            else if (raw.Length > cap)
            {
                // The newest entries are at the end of a plain file: read its last part, from the
                // first line after the cut (a partial entry there is skipped as malformed).
                raw.Seek(raw.Length - cap, SeekOrigin.Begin);
                truncated = true;
            }

            var reader = new BoundedLineReader(stream, MaxLineBytes);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                bytesRead = reader.BytesRead;
                if (bytesRead > cap)
                {
                    if (file.Compressed)
                    {
                        return null;
                    }

                    truncated = true;
                    break;
                }

                if (parser.Feed(line) is { } entry && !Add(entry))
                {
                    return new FileCount(file, cap, entries, parser.Malformed, bytesRead, truncated);
                }
            }

            if (parser.Finish() is { } last)
            {
                Add(last);
            }
        }
        catch (InvalidDataException)
        {
            // A damaged compressed file: the entries before the damage count, the rest is lost.
            truncated = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable (removed by logrotate between listing and opening, or no permission): skipped.
            truncated = true;
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
        }

        return new FileCount(file, cap, entries, parser.Malformed, bytesRead, truncated);

        bool Add(AptHistoryEntry entry)
        {
            var more = collect?.Invoke(entries, entry) ?? true;
            entries++;
            return more;
        }
    }

    [GeneratedRegex(@"^\.([0-9]{1,4})(\.gz)?$")]
    private static partial Regex RotatedName();

    internal sealed record HistoryFile(string Path, bool Compressed, int Rotation);

    /// <param name="Cap">The byte cap the file was counted with; the second pass reads it with the same.</param>
    private sealed record FileCount(HistoryFile File, long Cap, int Entries, int Malformed, long BytesRead, bool Truncated);
}
