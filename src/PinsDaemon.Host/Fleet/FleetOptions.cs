using System.ComponentModel.DataAnnotations;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Fleet;

/// <summary>The fleet (<c>Fleet:*</c>). Read only when <c>Fleet:Enabled=true</c>.</summary>
public sealed class FleetOptions
{
    public const string SectionName = "Fleet";

    public bool Enabled { get; set; }

    /// <summary>Seed nodes, each <c>host:port</c> or <c>akka.ssl.tcp://pinsdaemon@host:port</c>; the same list, in the same order, on every node.</summary>
    public string[] Seeds { get; set; } = [];

    /// <summary>This node's name in rollouts; the machine's hostname when empty.</summary>
    [RegularExpression(FleetNames.Pattern, ErrorMessage = "Fleet:NodeName is " + FleetNames.Rule + ".")]
    public string? NodeName { get; set; }

    /// <summary>Where other nodes reach this one (an IP address, or a name they resolve); the node name when empty.</summary>
    public string? Hostname { get; set; }

    /// <summary>The address Akka.Remote listens on.</summary>
    [Required]
    public string BindHostname { get; set; } = "0.0.0.0";

    [Range(0, 65535, ErrorMessage = "Fleet:Port must be between 0 and 65535.")]
    public int Port { get; set; } = 2552;

    /// <summary>Whether this node may run the coordinator and accept rollouts.</summary>
    public bool Controller { get; set; }

    public FleetTlsOptions Tls { get; set; } = new();

    /// <summary>The node's replica of the rollouts and its agent's journal; <c>{Storage:Directory}/fleet</c> when empty.</summary>
    [RegularExpression("^/.*", ErrorMessage = "Fleet:DataDirectory must be an absolute path.")]
    public string? DataDirectory { get; set; }

    /// <summary><c>KeepMajority</c> (from three nodes) or <c>KeepOldest</c> (two-node fleets).</summary>
    public string SplitBrain { get; set; } = "KeepMajority";

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Fleet:StableAfter must be between 00:00:01 and 01:00:00.")]
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromSeconds(20);

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Fleet:AcceptableHeartbeatPause must be between 00:00:01 and 00:10:00.")]
    public TimeSpan AcceptableHeartbeatPause { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00", ErrorMessage = "Fleet:RebootTimeout must be between 00:00:05 and 1.00:00:00.")]
    public TimeSpan RebootTimeout { get; set; } = TimeSpan.FromMinutes(10);

    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00", ErrorMessage = "Fleet:RejoinTimeout must be between 00:00:05 and 1.00:00:00.")]
    public TimeSpan RejoinTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The three PEM files of a node (<c>Fleet:Tls:*</c>); <c>ops/fleet-certs.sh</c> makes them.</summary>
public sealed class FleetTlsOptions
{
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    public string? CaFile { get; set; }
}
