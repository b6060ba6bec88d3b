using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;
using Xunit.Abstractions;

namespace PinsDaemon.Fleet.Tests.Units;

/// <summary>The agent in front of a stand-in job supervisor (a probe), with a real journal on disk.</summary>
public sealed class HostAgentSpecs : TestKit, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pinsdaemon-fleet-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Expectations wait up to 30 s (the default is 3): the machine the tests run on may be loaded.</summary>
    public HostAgentSpecs(ITestOutputHelper output)
        : base("akka.test.single-expect-default = 30s\nakka.test.default-timeout = 30s", output)
    {
        Directory.CreateDirectory(_directory);
    }

    private sealed class NoSummary : IHostSummarySource
    {
        public Task<FleetHostSummary> GetAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static readonly string Rollout1 = Guid.NewGuid().ToString("D");

    private IActorRef Agent(IActorRef jobs)
    {
        var journal = new AgentJournal(_directory);
        return Sys.ActorOf(HostAgent.Props("pi-1", jobs, journal, journal.Load(), new NoSummary(), reboots: null));
    }

    private static JobSnapshot Job(bool dryRun = true) =>
        new(JobId.New(), JobStatus.Running, dryRun, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null, 0, null);

    [Fact]
    public async Task Should_ask_for_the_rollouts_mode_and_autoremove_and_refuse_an_unknown_mode()
    {
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);

        agent.Tell(new AgentProtocol.StartRolloutJob(Guid.NewGuid().ToString("D"), DryRun: true, "dist-upgrade", Autoremove: true));
        Assert.Equal("badRequest", (await ExpectMsgAsync<AgentProtocol.JobRefusedForRollout>()).Reason);
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: false, UpgradeModes.FullUpgrade, Autoremove: true));
        var start = await jobs.ExpectMsgAsync<JobProtocol.StartJob>();
        Assert.Equal((false, UpgradeModes.FullUpgrade, true), (start.DryRun, start.Mode, start.Autoremove));
    }

    [Fact]
    public async Task Should_start_one_job_per_rollout_however_often_it_is_asked()
    {
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);
        var first = CreateTestProbe();
        var second = CreateTestProbe();

        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: true), first);
        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: true), second);
        var start = await jobs.ExpectMsgAsync<JobProtocol.StartJob>();
        Assert.True(start.DryRun);
        var job = Job();
        jobs.Reply(new JobProtocol.JobStarted(job));

        Assert.Equal(job.JobId, (await first.ExpectMsgAsync<AgentProtocol.JobStartedForRollout>()).JobId);
        Assert.Equal(job.JobId, (await second.ExpectMsgAsync<AgentProtocol.JobStartedForRollout>()).JobId);
        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: true), first);
        Assert.Equal(job.JobId, (await first.ExpectMsgAsync<AgentProtocol.JobStartedForRollout>()).JobId);
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        // A new agent on the same journal (the daemon restarted) still knows the job.
        var restarted = Agent(jobs);
        restarted.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: true), first);
        Assert.Equal(job.JobId, (await first.ExpectMsgAsync<AgentProtocol.JobStartedForRollout>()).JobId);
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Should_never_start_a_rollout_it_was_starting_when_the_daemon_stopped()
    {
        new AgentJournal(_directory).Save([new AgentJournalEntry(Rollout1, null, DateTimeOffset.UtcNow)]);
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);
        await jobs.ExpectMsgAsync<JobProtocol.ListJobs>();
        // Nothing of the rollout among the restored jobs (another client's job is not it).
        jobs.Reply(new JobProtocol.JobList([Job() with { Audit = [new AuditEntry(DateTimeOffset.UtcNow, "127.0.0.1", "start dry run", "accepted")] }]));

        // Unanswered while the restored jobs are looked through (the coordinator asks again).
        await AwaitAssertAsync(async () =>
        {
            agent.Tell(new AgentProtocol.GetRolloutJob(Rollout1));
            await ExpectMsgAsync<AgentProtocol.RolloutJobLost>(TimeSpan.FromMilliseconds(500));
        });
        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: true));
        await ExpectMsgAsync<AgentProtocol.RolloutJobLost>();
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Should_find_the_job_it_was_starting_when_the_daemon_stopped_among_the_restored_jobs_and_follow_it()
    {
        new AgentJournal(_directory).Save([new AgentJournalEntry(Rollout1, null, DateTimeOffset.UtcNow)]);
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);
        agent.Tell(new AgentProtocol.GetRolloutJob(Rollout1));
        await jobs.ExpectMsgAsync<JobProtocol.ListJobs>();
        // The run outlived the daemon: the supervisor restored its job, whose audit names the rollout.
        var job = Job() with { Audit = [new AuditEntry(DateTimeOffset.UtcNow, HostAgent.ClientOf(Rollout1), "start dry run", "accepted")] };
        jobs.Reply(new JobProtocol.JobList([job]));
        // Not called lost while it was being looked for.
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        // Journaled: the next daemon knows it without looking.
        await AwaitAssertAsync(() => Assert.Equal(job.JobId, Assert.Single(new AgentJournal(_directory).Load()).JobId));

        agent.Tell(new AgentProtocol.GetRolloutJob(Rollout1));
        Assert.Equal(job.JobId, (await jobs.ExpectMsgAsync<JobProtocol.GetJob>()).JobId);
        jobs.Reply(new JobProtocol.JobFound(job));
        Assert.Equal(job.JobId, (await ExpectMsgAsync<AgentProtocol.RolloutJobState>()).Job.JobId);
        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: true));
        Assert.Equal(job.JobId, (await ExpectMsgAsync<AgentProtocol.JobStartedForRollout>()).JobId);
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Should_forget_a_rollout_whose_job_was_refused_so_the_answer_stays_true()
    {
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);

        agent.Tell(new AgentProtocol.StartRolloutJob(Rollout1, DryRun: false));
        await jobs.ExpectMsgAsync<JobProtocol.StartJob>();
        jobs.Reply(new JobProtocol.JobRejected(JobId.New(), "busy"));
        Assert.Equal("busy", (await ExpectMsgAsync<AgentProtocol.JobRefusedForRollout>()).Reason);

        agent.Tell(new AgentProtocol.GetRolloutJob(Rollout1));
        await ExpectMsgAsync<AgentProtocol.RolloutJobUnknown>();
    }

    [Fact]
    public async Task Should_serve_only_the_logs_of_jobs_it_started_for_rollouts()
    {
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);

        var someoneElses = JobId.New();
        agent.Tell(new AgentProtocol.ReadJobLog(someoneElses, 0, 1024));
        Assert.Equal(someoneElses, (await ExpectMsgAsync<AgentProtocol.JobLogUnavailable>()).JobId);
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Should_refuse_a_rollout_id_that_is_not_a_guid_and_start_nothing()
    {
        var jobs = CreateTestProbe();
        var agent = Agent(jobs);

        agent.Tell(new AgentProtocol.StartRolloutJob(new string('x', 10_000), DryRun: true));

        Assert.Equal("badRequest", (await ExpectMsgAsync<AgentProtocol.JobRefusedForRollout>()).Reason);
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.False(File.Exists(Path.Combine(_directory, AgentJournal.FileName)));
    }

    [Fact]
    public async Task Should_refuse_a_reboot_when_the_host_has_no_way_to_reboot()
    {
        var agent = Agent(CreateTestProbe());

        agent.Tell(new AgentProtocol.RequestReboot(Rollout1));

        Assert.Equal("rebootNotAllowed", (await ExpectMsgAsync<AgentProtocol.RebootRefused>()).Reason);
    }

    public new void Dispose()
    {
        base.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
