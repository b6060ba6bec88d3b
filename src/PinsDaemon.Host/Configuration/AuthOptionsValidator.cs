using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Configuration;

/// <summary>Stops the daemon at start, naming the setting, when no usable token is configured.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var result = TokenSource.Load(options);
        return result.Problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(result.Problem);
    }
}
