using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Tests.TestSupport;

namespace PinsDaemon.Fleet.Tests;

/// <summary>The merged log takes what <c>/logs/{id}</c> takes: <c>?token=</c>, tickets, and the same Origin rule.</summary>
[Collection(FourNodeFleet.Collection)]
public sealed class MergedLogAccessSpecs(FourNodeFleet fixture)
{
    private TestFleet Fleet => fixture.Fleet;

    private async Task<RolloutView> FinishedRolloutAsync()
    {
        var id = await TestFleet.StartRolloutAsync(Fleet["node-1"], """{"dryRun": true, "hosts": ["node-2", "node-3"], "batchSize": 2}""");
        return await TestFleet.WaitForEndAsync(Fleet["node-1"], id);
    }

    private static async Task<string> TicketAsync(FleetNode node, string path)
    {
        using var response = await node.Client.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<TicketResponse>(ContractJson.Options);
        return body!.Ticket;
    }

    [Fact]
    public async Task Should_take_the_token_in_the_query_only_where_the_daemon_allows_it()
    {
        var rollout = await FinishedRolloutAsync();
        var logs = FleetPaths.Logs(rollout.RolloutId);

        var (allowed, frames, _) = await MergedLog.ConnectAsync(Fleet["node-1"], $"{logs}?token={Fleet["node-1"].Token}", TestFleet.Patience, withToken: false);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, allowed);
        Assert.Equal(new FleetRolloutEndFrame(rollout.RolloutId, RolloutStatus.Completed), frames[^1]);
        Assert.Contains(frames, frame => frame is FleetLineFrame { Host: "node-3" });

        var (turnedOff, _, _) = await MergedLog.ConnectAsync(Fleet["node-2"], $"{logs}?token={Fleet["node-2"].Token}", TestFleet.Patience, withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, turnedOff);

        // Nothing else takes credentials from the URL.
        using var list = await new HttpClient { BaseAddress = Fleet["node-1"].BaseAddress }.GetAsync($"{FleetPaths.Rollouts}?token={Fleet["node-1"].Token}");
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
    }

    [Fact]
    public async Task Should_open_the_merged_log_with_a_ticket_once_and_only_the_rollout_it_was_issued_for()
    {
        var rollout = await FinishedRolloutAsync();
        var node2 = Fleet["node-2"];
        var logs = FleetPaths.Logs(rollout.RolloutId);

        using (var response = await node2.Client.PostAsync(FleetPaths.Ticket(rollout.RolloutId), null))
        {
            var body = await response.Content.ReadFromJsonAsync<TicketResponse>(ContractJson.Options);
            Assert.Equal($"{logs}?ticket={body!.Ticket}", body.LogsUrl);
            var (opened, frames, _) = await MergedLog.ConnectAsync(node2, body.LogsUrl, TestFleet.Patience, withToken: false);
            Assert.Equal(HttpStatusCode.SwitchingProtocols, opened);
            Assert.IsType<FleetRolloutEndFrame>(frames[^1]);
            var (again, _, _) = await MergedLog.ConnectAsync(node2, body.LogsUrl, TestFleet.Patience, withToken: false);
            Assert.Equal(HttpStatusCode.Unauthorized, again);
        }

        // A rollout's ticket opens no job's log, and a job's ticket no rollout's.
        var jobOfNode2 = rollout.Hosts.Single(host => host.Host == "node-2").JobId!;
        var forRollout = await TicketAsync(node2, FleetPaths.Ticket(rollout.RolloutId));
        var (wrongStream, _, _) = await MergedLog.ConnectAsync(node2, $"/logs/{jobOfNode2}?ticket={forRollout}", TestFleet.Patience, withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongStream);
        var forJob = await TicketAsync(node2, $"/jobs/{jobOfNode2}/ticket");
        var (jobTicket, _, _) = await MergedLog.ConnectAsync(node2, $"{logs}?ticket={forJob}", TestFleet.Patience, withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, jobTicket);

        // Tickets need the token, and exist only for rollouts the fleet keeps.
        using var anonymous = await new HttpClient { BaseAddress = node2.BaseAddress }.PostAsync(FleetPaths.Ticket(rollout.RolloutId), null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var unknown = await node2.Client.PostAsync(FleetPaths.Ticket(Guid.NewGuid().ToString()), null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Should_refuse_a_page_from_an_origin_that_is_not_listed()
    {
        var rollout = await FinishedRolloutAsync();
        var logs = FleetPaths.Logs(rollout.RolloutId);

        var (foreign, _, _) = await MergedLog.ConnectAsync(Fleet["node-1"], logs, TestFleet.Patience, withToken: true, origin: "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, foreign);
        var (listed, frames, _) = await MergedLog.ConnectAsync(Fleet["node-1"], logs, TestFleet.Patience, withToken: true, origin: FourNodeFleet.AllowedOrigin);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, listed);
        Assert.IsType<FleetRolloutEndFrame>(frames[^1]);
    }

    [Fact]
    public async Task Should_end_a_page_sessions_rollout_ticket_when_the_session_signs_out()
    {
        var rollout = await FinishedRolloutAsync();
        var node = Fleet["node-1"];
        using var cookieless = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = node.BaseAddress };
        using var signIn = await cookieless.PostAsJsonAsync("/session", new { token = node.Token });
        signIn.EnsureSuccessStatusCode();
        var csrf = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrfToken").GetString()!;
        cookieless.DefaultRequestHeaders.Add("Cookie", Assert.Single(signIn.Headers.GetValues("Set-Cookie")).Split(';')[0]);
        cookieless.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);

        async Task<string> SessionTicketAsync()
        {
            using var response = await cookieless.PostAsync(FleetPaths.Ticket(rollout.RolloutId), null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<TicketResponse>(ContractJson.Options))!.Ticket;
        }

        var logs = FleetPaths.Logs(rollout.RolloutId);
        var (live, _, _) = await MergedLog.ConnectAsync(node, $"{logs}?ticket={await SessionTicketAsync()}", TestFleet.Patience, withToken: false);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, live);

        var unused = await SessionTicketAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await cookieless.DeleteAsync("/session")).StatusCode);
        var (afterSignOut, _, _) = await MergedLog.ConnectAsync(node, $"{logs}?ticket={unused}", TestFleet.Patience, withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, afterSignOut);
    }
}
