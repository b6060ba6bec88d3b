using Microsoft.Extensions.Options;
using PinsDaemon.Fleet;
using PinsDaemon.Fleet.Security;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// What annotations cannot say: the three PEM files exist and form a certificate of the fleet's CA,
/// every seed is a TLS address of the fleet's actor system, the split-brain strategy is known.
/// </summary>
internal sealed class FleetOptionsValidator : IValidateOptions<FleetOptions>
{
    public ValidateOptionsResult Validate(string? name, FleetOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        foreach (var (setting, value) in new[]
                 {
                     ("Fleet:Tls:CertificateFile", options.Tls.CertificateFile),
                     ("Fleet:Tls:KeyFile", options.Tls.KeyFile),
                     ("Fleet:Tls:CaFile", options.Tls.CaFile),
                 })
        {
            if (string.IsNullOrEmpty(value) || !Path.IsPathRooted(value))
            {
                failures.Add($"{setting} is required with Fleet:Enabled=true: an absolute path to a PEM file (TLS between nodes is mandatory; ops/fleet-certs.sh makes the files).");
            }
        }

        if (failures.Count == 0)
        {
            try
            {
                FleetCertificates.Load(options.Tls.CertificateFile!, options.Tls.KeyFile!, options.Tls.CaFile!);
            }
            catch (FleetConfigurationException ex)
            {
                failures.Add(ex.Message);
            }
        }

        foreach (var seed in options.Seeds)
        {
            if (!FleetSeeds.TryNormalise(seed, out _, out var problem))
            {
                failures.Add($"Fleet:Seeds entry '{Endpoints.Audit.LogSafe(seed, 100)}': {problem}");
            }
        }

        if (!Enum.TryParse<SplitBrainStrategy>(options.SplitBrain, ignoreCase: true, out _))
        {
            failures.Add("Fleet:SplitBrain must be KeepMajority (three nodes or more) or KeepOldest (two-node fleets).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
