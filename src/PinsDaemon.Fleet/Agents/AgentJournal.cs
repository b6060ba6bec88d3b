using System.Text.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Security;

namespace PinsDaemon.Fleet.Agents;

/// <summary>
/// The agent's memory of which job it started for which rollout, in one small JSON file replaced
/// atomically. A rollout is written as "starting" before the job is asked for, so a daemon that
/// stops in between knows afterwards that a job may exist, and never starts a second one.
/// </summary>
public sealed class AgentJournal
{
    /// <summary>Rollouts remembered: far more than a fleet keeps (the coordinator keeps 50); older ones are forgotten first.</summary>
    public const int MaxEntries = 200;

    public const string FileName = "agent-journal.json";

    private readonly string _path;

    public AgentJournal(string directory)
    {
        _path = Path.Combine(directory, FileName);
    }

    /// <summary>The entries on disk, oldest first; empty when there is no file yet.</summary>
    public IReadOnlyList<AgentJournalEntry> Load()
    {
        if (!File.Exists(_path))
        {
            return [];
        }

        // Without its journal the agent cannot tell which rollouts already ran a job here, and
        // could run one a second time: the daemon does not start (a configuration error, exit
        // 78) until a person has looked, rather than guess.
        try
        {
            return JsonSerializer.Deserialize<AgentJournalEntry[]>(File.ReadAllBytes(_path), ContractJson.Options) ?? [];
        }
        catch (JsonException ex)
        {
            throw new FleetConfigurationException($"The fleet agent's journal {_path} is corrupt ({ex.Message}). Move it aside to start; rollouts it knew will then be unknown to this host.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetConfigurationException($"The fleet agent's journal {_path} cannot be read ({ex.Message}). It lives in Fleet:DataDirectory, which the daemon's user must own.", ex);
        }
    }

    /// <summary>Replaces the file with <paramref name="entries"/> (temporary file, fsync, rename).</summary>
    public void Save(IReadOnlyList<AgentJournalEntry> entries)
    {
        var temp = _path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, entries, ContractJson.Options);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
    }
}

/// <param name="JobId">Null while the job is being started: after a restart, that means "may have started".</param>
public sealed record AgentJournalEntry(string RolloutId, JobId? JobId, DateTimeOffset At);
