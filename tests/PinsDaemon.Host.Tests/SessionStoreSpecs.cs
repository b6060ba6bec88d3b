using Microsoft.Extensions.Logging.Abstractions;
using PinsDaemon.Host.Auth;

namespace PinsDaemon.Host.Tests;

public sealed class SessionStoreSpecs
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void Should_renew_a_session_while_it_is_used_and_end_it_when_it_is_not()
    {
        var clock = new ManualClock();
        var store = new SessionStore(Key, clock, file: null, NullLogger<SessionStore>.Instance);
        var created = store.Create();

        for (var i = 0; i < 10; i++)
        {
            clock.Advance(SessionStore.IdleTimeout - TimeSpan.FromSeconds(1));
            Assert.NotNull(store.Use(created.Secret));
        }

        clock.Advance(SessionStore.IdleTimeout);
        Assert.Null(store.Use(created.Secret));
    }

    [Fact]
    public void Should_end_a_session_after_its_maximum_lifetime_however_much_it_is_used()
    {
        var clock = new ManualClock();
        var store = new SessionStore(Key, clock, file: null, NullLogger<SessionStore>.Instance);
        var created = store.Create();
        var session = store.Use(created.Secret)!;
        while (clock.GetUtcNow() - ManualClock.Start < SessionStore.MaxLifetime - TimeSpan.FromMinutes(5))
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            Assert.NotNull(store.Use(created.Secret));
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(store.Use(created.Secret));
        Assert.False(store.IsLive(session.Id));
    }

    [Fact]
    public void Should_keep_at_most_the_cap_dropping_the_least_recently_used()
    {
        var clock = new ManualClock();
        var store = new SessionStore(Key, clock, file: null, NullLogger<SessionStore>.Instance);
        var sessions = Enumerable.Range(0, SessionStore.MaxSessions).Select(_ =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            return store.Create();
        }).ToList();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(store.Use(sessions[0].Secret));

        store.Create();
        Assert.NotNull(store.Use(sessions[0].Secret));
        Assert.Null(store.Use(sessions[1].Secret));
        Assert.NotNull(store.Use(sessions[2].Secret));
    }

    [Fact]
    public void Should_match_only_the_sessions_own_anti_forgery_token()
    {
        var store = new SessionStore(Key, new ManualClock(), file: null, NullLogger<SessionStore>.Instance);
        var one = store.Create();
        var two = store.Create();
        var session = store.Use(one.Secret)!;
        Assert.Equal(one.CsrfToken, session.CsrfToken);
        Assert.True(SessionStore.CsrfMatches(session, one.CsrfToken));
        Assert.False(SessionStore.CsrfMatches(session, two.CsrfToken));
        Assert.False(SessionStore.CsrfMatches(session, null));
        Assert.False(SessionStore.CsrfMatches(session, one.CsrfToken + "x"));
        Assert.NotEqual(one.Secret, one.CsrfToken);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Should_treat_a_malformed_or_unknown_cookie_as_no_session(string? secret)
    {
        var store = new SessionStore(Key, new ManualClock(), file: null, NullLogger<SessionStore>.Instance);
        store.Create();
        Assert.Null(store.Use(secret));
        Assert.False(store.Revoke(secret));
    }

    private sealed class ManualClock : TimeProvider
    {
        public static readonly DateTimeOffset Start = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

        private DateTimeOffset _now = Start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
