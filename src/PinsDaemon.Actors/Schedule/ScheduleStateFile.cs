using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Schedule;

/// <summary>
/// <c>schedule.json</c> in the storage directory: the scheduled checks' <see cref="ScheduleState"/>,
/// replaced atomically (0600, as every file the daemon keeps).
/// </summary>
public sealed class ScheduleStateFile(string directory)
{
    public const string FileName = "schedule.json";

    public string Path { get; } = System.IO.Path.Combine(directory, FileName);

    /// <summary>The saved state; null when there is none. Throws <see cref="IOException"/> or <see cref="JsonException"/> when it cannot be read.</summary>
    public ScheduleState? Load() =>
        File.Exists(Path) ? JsonSerializer.Deserialize<ScheduleState>(File.ReadAllBytes(Path), ContractJson.Options) : null;

    public void Save(ScheduleState state)
    {
        var temp = $"{Path}.{Guid.NewGuid():N}.tmp";
        using (var file = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.CreateNew,
                   Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            JsonSerializer.Serialize(file, state, ContractJson.Options);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Path, overwrite: true);
    }
}
