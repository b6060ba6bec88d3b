namespace PinsDaemon.Host.Configuration;

/// <summary>Resolves the configured token and says, naming the setting, why it is unusable.</summary>
internal static class TokenSource
{
    public const string EnvironmentKey = "API_TOKEN";

    public static TokenLoadResult Load(AuthOptions options)
    {
        var inline = string.IsNullOrEmpty(options.Token) ? null : options.Token;
        var file = string.IsNullOrEmpty(options.TokenFile) ? null : options.TokenFile;

        if (inline is not null && file is not null)
        {
            return TokenLoadResult.Error(
                $"Both {EnvironmentKey} (or Auth:Token) and Auth:TokenFile are set. Configure the token in exactly one place.");
        }

        if (inline is null && file is null)
        {
            return TokenLoadResult.Error(
                $"No API token is configured. Set {EnvironmentKey} (or Auth:Token), or Auth:TokenFile to a file holding it; " +
                $"the token must be at least {AuthOptions.MinTokenLength} characters.");
        }

        var setting = file is not null ? "Auth:TokenFile" : options.TokenFromEnvironmentKey ? EnvironmentKey : "Auth:Token";
        var loaded = file is not null ? LoadFile(file, setting) : Check(inline!, setting);
        return loaded.Token is null
            ? loaded
            : loaded with { Where = file is not null ? "in the file named by Auth:TokenFile" : $"in the {setting} setting" };
    }

    /// <summary>A token from a file that only its owner (and group) may read, checked like any token.</summary>
    public static TokenLoadResult LoadFile(string file, string setting)
    {
        string token;
        try
        {
            var info = new FileInfo(file);
            if (info.Exists && info.Length > AuthOptions.MaxTokenLength + 2)
            {
                return TokenLoadResult.Error($"{setting} '{file}' is {info.Length} bytes; a token file holds one token of at most {AuthOptions.MaxTokenLength} characters.");
            }

            if (info.Exists && FileSecurity.IsReadableByOthers(file))
            {
                return TokenLoadResult.Error(
                    $"{setting} '{file}' is readable by every user on this machine. Restrict it: chmod 600 '{file}' (or 400).");
            }

            // A trailing newline is how editors and `echo` leave files; it is not part of the token.
            token = File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return TokenLoadResult.Error($"{setting} '{file}' cannot be read: {ex.Message}");
        }

        return Check(token, setting);
    }

    private static TokenLoadResult Check(string token, string setting)
    {
        if (token.Length < AuthOptions.MinTokenLength)
        {
            return TokenLoadResult.Error(
                $"The token from {setting} is {token.Length} characters long; it must be at least {AuthOptions.MinTokenLength}. " +
                "Generate one with: head -c 32 /dev/urandom | base64");
        }

        if (token.Length > AuthOptions.MaxTokenLength)
        {
            return TokenLoadResult.Error($"The token from {setting} is longer than {AuthOptions.MaxTokenLength} characters.");
        }

        foreach (var c in token)
        {
            // Visible ASCII only: anything else cannot be sent reliably in an Authorization header.
            if (c is < '!' or > '~')
            {
                return TokenLoadResult.Error(
                    $"The token from {setting} contains a space, a control character or a non-ASCII character; use visible ASCII only.");
            }
        }

        return new TokenLoadResult(token, null);
    }
}

internal sealed record TokenLoadResult(string? Token, string? Problem)
{
    /// <summary>Where the token is, for a client that was refused: "in the API_TOKEN setting", never a path or the token.</summary>
    public string? Where { get; init; }

    public static TokenLoadResult Error(string problem) => new(null, problem);
}
