using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Security;

namespace PinsDaemon.Fleet.Hosting;

/// <summary>
/// What a node reads from its disk before its actor system starts: its certificates and its
/// agent's journal. The host reads it before Akka starts, so that an unusable file stops the
/// daemon as a configuration error (one line, exit 78); thrown inside Akka's start, the same
/// error would come with Akka.Hosting's stack trace on the console.
/// </summary>
public sealed record FleetStartup(FleetSettings Settings, FleetCertificates Certificates, AgentJournal Journal, IReadOnlyList<AgentJournalEntry> Journaled)
{
    /// <exception cref="FleetConfigurationException">A file or directory cannot be used; the message names it and the setting.</exception>
    public static FleetStartup Load(FleetSettings settings)
    {
        var certificates = FleetCertificates.Load(settings.CertificateFile, settings.KeyFile, settings.CaFile);
        try
        {
            Directory.CreateDirectory(settings.DataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetConfigurationException($"Fleet:DataDirectory '{settings.DataDirectory}' cannot be created ({ex.Message}).", ex);
        }

        var journal = new AgentJournal(settings.DataDirectory);
        return new FleetStartup(settings, certificates, journal, journal.Load());
    }
}
