namespace PinsDaemon.Host.Metrics;

/// <summary>Who may read <c>GET /metrics</c> (<c>Metrics:*</c>).</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// A file holding the read-only token Prometheus sends (<c>Authorization: Bearer</c>). It must
    /// differ from the admin token, which can upgrade the machine. Unset: <c>/metrics</c> refuses everyone.
    /// </summary>
    public string? TokenFile { get; set; }
}
