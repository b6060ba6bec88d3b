namespace PinsDaemon.Host.Activation;

/// <summary>
/// Something that keeps a socket-activated daemon running while it counts above zero: a
/// connected client, a running job, an open session. <see cref="IdleExit"/> asks every
/// registered source; a new kind of activity registers one more
/// (<c>services.AddSingleton&lt;IActivitySource, ...&gt;()</c>).
/// </summary>
internal interface IActivitySource
{
    /// <summary>What it counts, for the log line that says why the daemon stays up.</summary>
    string Name { get; }

    /// <summary>How many are active now. Throwing counts as active: when in doubt, stay up.</summary>
    ValueTask<int> CountAsync(CancellationToken cancellationToken);
}
