namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>One controller and three hosts, shared by the tests of a class that leave the fleet as they found it.</summary>
public sealed class FourNodeFleet : IAsyncLifetime
{
    public TestFleet Fleet { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Fleet = await TestFleet.StartAsync(("node-1", true), ("node-2", false), ("node-3", false), ("node-4", false));

    public async Task DisposeAsync()
    {
        if (Fleet is not null)
        {
            await Fleet.DisposeAsync();
        }
    }
}
