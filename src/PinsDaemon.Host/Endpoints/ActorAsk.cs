using Akka.Actor;

namespace PinsDaemon.Host.Endpoints;

internal static class ActorAsk
{
    /// <summary>
    /// The supervisor answers from memory in microseconds; five seconds means it is wedged, and
    /// the client gets a 503 instead of a request that never ends.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Asks with the bounded timeout for one of the answers <typeparamref name="TReply"/> stands
    /// for (e.g. <c>JobProtocol.IGetJobReply</c>); null when no answer came in time.
    /// </summary>
    public static async Task<TReply?> TryAskAsync<TReply>(this IActorRef actor, object message, CancellationToken cancellationToken)
        where TReply : class
    {
        try
        {
            return await actor.Ask<TReply>(message, Timeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
