using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.Configuration;

/// <summary>Where job state lives (<c>Storage:*</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    [Required]
    [RegularExpression("^/.*", ErrorMessage = "Storage:Directory must be an absolute path.")]
    public string Directory { get; set; } = "/var/lib/pinsdaemon";
}
