using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Storage;

namespace PinsDaemon.Host.Configuration;

/// <summary>Stops the daemon at start, naming the directory, when job history cannot be stored.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (string.IsNullOrEmpty(options.Directory) || !Path.IsPathRooted(options.Directory))
        {
            // The data annotations say so.
            return ValidateOptionsResult.Skip;
        }

        try
        {
            new JobStore(options.Directory).EnsureWritable();
            return ValidateOptionsResult.Success;
        }
        catch (StorageUnavailableException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
