using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.Configuration;

/// <summary>Where job state lives (<c>Storage:*</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    [Required]
    [RegularExpression("^/.*", ErrorMessage = "Storage:Directory must be an absolute path.")]
    public string Directory { get; set; } = "/var/lib/pinsdaemon";

    /// <summary>How many jobs (with their logs) are kept; older ones are deleted.</summary>
    [Range(1, 100_000, ErrorMessage = "Storage:MaxJobs must be between 1 and 100000.")]
    public int MaxJobs { get; set; } = 100;
}
