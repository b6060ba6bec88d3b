namespace PinsDaemon.Host;

/// <summary>The daemon's exit codes (sysexits.h), as the README lists them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>EX_UNAVAILABLE: it cannot listen where it was told to (the address is in use, say). systemd retries.</summary>
    public const int CannotListen = 69;

    /// <summary>EX_SOFTWARE: anything else that stopped it from starting (a bug: the message and a stack trace follow).</summary>
    public const int InternalError = 70;

    /// <summary>EX_CONFIG: a setting is wrong. systemd does not retry (RestartPreventExitStatus=78): only the operator can fix it.</summary>
    public const int Configuration = 78;
}
