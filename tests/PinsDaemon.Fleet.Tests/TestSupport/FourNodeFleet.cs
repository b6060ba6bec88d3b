namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>
/// One controller and three hosts, shared by the test classes of <see cref="Collection"/> (they
/// run one after the other, and each leaves the fleet as it found it): one fleet start for all.
/// node-1 lists a page origin in Auth:AllowedOrigins; node-2 turns ?token= off.
/// </summary>
public sealed class FourNodeFleet : IAsyncLifetime
{
    public const string Collection = "four-node fleet";

    public const string AllowedOrigin = "https://fleet.example";

    public TestFleet Fleet { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Fleet = await TestFleet.StartAsync(
            new NodeSpec("node-1", true, null, $"--Auth:AllowedOrigins:0={AllowedOrigin}"),
            new NodeSpec("node-2", false, null, "--Auth:AllowQueryToken=false"),
            new NodeSpec("node-3", false),
            new NodeSpec("node-4", false));

    public async Task DisposeAsync()
    {
        if (Fleet is not null)
        {
            await Fleet.DisposeAsync();
        }
    }
}

[CollectionDefinition(FourNodeFleet.Collection)]
public sealed class FourNodeFleetCollection : ICollectionFixture<FourNodeFleet>;
