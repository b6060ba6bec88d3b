namespace PinsDaemon.Host.Tests.TestSupport;

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeout"/> (20 seconds unless said).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met");
            }

            await Task.Delay(25);
        }
    }
}
