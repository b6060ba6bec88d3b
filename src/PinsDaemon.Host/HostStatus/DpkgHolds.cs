namespace PinsDaemon.Host.HostStatus;

/// <summary>
/// The packages on hold (<c>apt-mark hold</c>), from dpkg's world-readable status database.
/// The file is megabytes on a big system and changes only when packages do, so the answer is
/// kept until its size or modification time changes.
/// </summary>
internal sealed class DpkgHolds(HostPaths paths)
{
    /// <summary>dpkg's lines are short; a longer one is not a field this reader needs.</summary>
    private const int MaxLineBytes = 64 * 1024;

    /// <summary>More holds than any real system has, so a corrupt file cannot grow the set without bound.</summary>
    private const int MaxHolds = 10_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (long Length, DateTime Modified, IReadOnlySet<string> Holds)? _cached;

    /// <summary>The held packages; null when the database cannot be read.</summary>
    public async Task<IReadOnlySet<string>?> ReadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var info = new FileInfo(paths.DpkgStatus);
            if (!info.Exists)
            {
                return null;
            }

            if (_cached is { } cached && cached.Length == info.Length && cached.Modified == info.LastWriteTimeUtc)
            {
                return cached.Holds;
            }

            await using var file = new FileStream(paths.DpkgStatus, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
            var holds = await ParseAsync(file, cancellationToken);
            _cached = (info.Length, info.LastWriteTimeUtc, holds);
            return holds;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Packages whose <c>Status:</c> field starts with the selection <c>hold</c>.</summary>
    public static async Task<IReadOnlySet<string>> ParseAsync(Stream status, CancellationToken cancellationToken)
    {
        var holds = new HashSet<string>(StringComparer.Ordinal);
        var reader = new BoundedLineReader(status, MaxLineBytes);
        string? package = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Text.Length == 0)
            {
                package = null;
            }
            else if (line.Text.StartsWith("Package: ", StringComparison.Ordinal))
            {
                package = line.Text["Package: ".Length..].Trim();
            }
            else if (package is not null && line.Text.StartsWith("Status: hold ", StringComparison.Ordinal) && holds.Count < MaxHolds)
            {
                holds.Add(package);
            }
        }

        return holds;
    }
}
