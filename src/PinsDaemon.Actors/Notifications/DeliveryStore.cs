using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Notifications;

/// <summary>
/// The notification queue on disk: one file per delivery, replaced atomically (a crash leaves
/// the old or the new state, never half of one), 0600 in a 0700 directory like the jobs' files.
/// File names come only from delivery ids the daemon made (<c>msg_</c> and hex).
/// </summary>
public sealed class DeliveryStore(string directory)
{
    private const string UpdatesFileName = "updates-seen";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode FilePermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly JsonSerializerOptions Json = new(ContractJson.Options) { WriteIndented = true };

    public string Directory { get; } = directory;

    /// <summary>Every stored delivery, oldest first, and what could not be read (skipped).</summary>
    public (List<Delivery> Deliveries, List<string> Problems) Load()
    {
        var deliveries = new List<Delivery>();
        var problems = new List<string>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return (deliveries, problems);
        }

        foreach (var path in System.IO.Directory.EnumerateFiles(Directory))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                // A write cut off by a crash: the file it was to replace is still there.
                File.Delete(path);
                continue;
            }

            if (!name.StartsWith("msg_", StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                var delivery = JsonSerializer.Deserialize<Delivery>(File.ReadAllBytes(path), Json) ?? throw new JsonException("empty document");
                if ($"{delivery.Id}.json" != name)
                {
                    throw new JsonException($"it names delivery {delivery.Id}");
                }

                deliveries.Add(delivery);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
            {
                problems.Add($"skipped '{path}': unreadable or corrupt ({ex.Message})");
            }
        }

        deliveries.Sort((a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        return (deliveries, problems);
    }

    public void Write(Delivery delivery) => WriteAtomically($"{delivery.Id}.json", file => JsonSerializer.Serialize(file, delivery, Json));

    public void Delete(string id) => File.Delete(Path.Combine(Directory, $"{id}.json"));

    /// <summary>The fingerprint of the last pending updates seen (<see cref="NotificationRules.Decide"/>); null when none was stored.</summary>
    public string? ReadUpdatesSeen()
    {
        var path = Path.Combine(Directory, UpdatesFileName);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public void WriteUpdatesSeen(string fingerprint) =>
        WriteAtomically(UpdatesFileName, file => file.Write(System.Text.Encoding.ASCII.GetBytes(fingerprint)));

    private void WriteAtomically(string fileName, Action<Stream> write)
    {
        System.IO.Directory.CreateDirectory(Directory, DirectoryMode);
        var temp = Path.Combine(Directory, $"{fileName}.{Guid.NewGuid():N}.tmp");
        using (var file = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.CreateNew,
                   Access = FileAccess.Write,
                   UnixCreateMode = FilePermissions,
               }))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(Directory, fileName), overwrite: true);
    }
}
